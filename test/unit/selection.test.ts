import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ChatCompletionRequestSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { Model, Role, Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { capsFor } from "../../src/agent/caps.js";
import { selectToolsets } from "../../src/agent/selection.js";
import { loadConfig } from "../../src/config.js";
import { builtinTools } from "../../src/tools/builtin.js";
import { providerTools } from "../../src/tools/providers/catalog.js";
import { TEST_FETCH_POLICY } from "../support/fetch-policy.js";

const request = (text: string, extra: Record<string, unknown> = {}, parts: unknown[] = []) =>
  create(ChatCompletionRequestSchema, {
    messages: [
      parts.length > 0 ? { role: Role.USER, parts: parts as never } : { role: Role.USER, content: text },
    ],
    ...extra,
  });

describe("the router and uploaded files", () => {
  const withFile = (fileId: string) =>
    request("Describe this", {}, [
      { part: { case: "text", value: "Describe this" } },
      { part: { case: "inputFile", value: { fileId } } },
    ]);
  it("adds the toolset of the file's content, as for a data: URL of the same bytes", () => {
    const kinds = new Map([["file-img", Toolset.IMAGE]]);
    expect(selectToolsets(withFile("file-img"), true, kinds)).toEqual([Toolset.CORE, Toolset.IMAGE]);
  });
  it("falls back to document for a file id it was not told about", () => {
    expect(selectToolsets(withFile("file-other"), true)).toEqual([Toolset.CORE, Toolset.DOCUMENT]);
  });
});

describe('toolset selection (README, "Which tools")', () => {
  it.each([
    [
      "explicit toolsets win on any request",
      request("chart this", { toolsets: [Toolset.VIDEO, Toolset.VIDEO] }),
      true,
      [Toolset.VIDEO],
    ],
    ["non-streaming without toolsets → core only", request("crop this photo"), false, [Toolset.CORE]],
    [
      "streaming: the router reads the words",
      request("crop this photo"),
      true,
      [Toolset.CORE, Toolset.IMAGE],
    ],
    ["streaming: plain talk → core", request("hello there"), true, [Toolset.CORE]],
    [
      "streaming: several intents",
      request("make a chart of the pdf tables"),
      true,
      [Toolset.CORE, Toolset.DOCUMENT, Toolset.VIZ],
    ],
    [
      "streaming: media kinds count",
      request("", {}, [{ part: { case: "videoUrl", value: { url: "https://x.test/v.mp4" } } }]),
      true,
      [Toolset.CORE, Toolset.VIDEO],
    ],
  ])("%s", (_name, req, streaming, expected) => {
    expect(selectToolsets(req, streaming).sort()).toEqual([...expected].sort());
  });

  it("gives each toolset only its own tools, de-duplicated by name", () => {
    const registry = builtinTools(TEST_FETCH_POLICY);
    expect(registry.select([Toolset.CORE]).map((t) => t.name)).toEqual([
      "image_info",
      "load_url",
      "read_text",
    ]);
    expect(registry.select([Toolset.CORE, Toolset.IMAGE, Toolset.IMAGE]).map((t) => t.name)).toEqual([
      "image_info",
      "load_url",
      "read_text",
      "crop",
      "resize",
      "rotate",
      "dominant_colors",
      "flip",
      "grayscale",
      "detect_faces",
      "detect_objects",
      "detect_pose",
      "segment_person",
    ]);
    // web_search needs ORION_SEARCH_URL; fetch_page needs nothing.
    expect(registry.select([Toolset.WEB]).map((t) => t.name)).toEqual(["fetch_page"]);
  });

  it("offers a provider's tools when the request names it; world-gen offers its providers by toolset", () => {
    const env = {
      ORION_MODEL_META_SAM3_URL: "http://sam3:9000",
      ORION_MODEL_DEPTH_ANYTHING_3_URL: "http://depth:9000",
    };
    const registry = builtinTools(TEST_FETCH_POLICY).register(...providerTools(loadConfig(env).providers));
    const names = (toolsets: Toolset[], models: Model[] = []) =>
      registry.select(toolsets, models).map((t) => t.name);
    expect(names([Toolset.IMAGE])).not.toContain("sam3_segment");
    expect(names([Toolset.CORE], [Model.META_SAM3])).toContain("sam3_segment");
    expect(names([Toolset.WORLD_GEN])).toEqual(["depth_estimate"]);
    expect(names([Toolset.CORE], [Model.META_SAM2])).not.toContain("sam2_segment"); // not configured
  });

  it("caps grow from :lite to :pro, and :auto sizes itself from the attachments", () => {
    expect(capsFor("lite", 0).steps).toBeLessThan(capsFor("fast", 0).steps);
    expect(capsFor("fast", 0).steps).toBeLessThan(capsFor("pro", 0).steps);
    expect(capsFor("auto", 3).steps).toBeGreaterThan(capsFor("auto", 0).steps);
    expect(capsFor("auto", 100).steps).toBeLessThanOrEqual(16);
  });
});
