import { describe, expect, it } from "vitest";
import { AgentModel, Model, Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { wireNames } from "../../src/wire/names.js";

describe("wire names come from the proto options", () => {
  it("maps toolsets both ways, with the declared aliases", () => {
    expect(wireNames.toolset.toWire(Toolset.IMAGE_GEN)).toBe("image-gen");
    expect(wireNames.toolset.fromWire("world-gen")).toBe(Toolset.WORLD_GEN);
    expect(wireNames.toolset.fromWire("world_gen")).toBe(Toolset.WORLD_GEN);
    expect(wireNames.toolset.fromWire("3d_reconstruction")).toBe(Toolset.WORLD_GEN);
    expect(wireNames.toolset.fromWire("IMAGE_GEN")).toBeUndefined();
    expect(wireNames.toolset.spellings).toEqual([
      "core",
      "document",
      "image",
      "image-gen",
      "video",
      "viz",
      "web",
      "world-gen",
    ]);
  });

  it("lists all 12 tool providers and the 5 agent model ids", () => {
    expect(wireNames.model.spellings).toHaveLength(12);
    expect(wireNames.model.toWire(Model.GOOGLE_VEO_3_1)).toBe("google-veo-3.1");
    expect(wireNames.agentModel.fromWire("vlmrun-orion-1:lite")).toBe(AgentModel.ORION_1_LITE);
    expect(wireNames.agentModel.toWire(AgentModel.UNSPECIFIED)).toBeUndefined();
  });
});
