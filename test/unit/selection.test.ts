import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ChatCompletionRequestSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { Role, Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { capsFor } from "../../src/agent/caps.js";
import { selectToolsets } from "../../src/agent/selection.js";
import { builtinTools } from "../../src/tools/builtin.js";
import { TEST_FETCH_POLICY } from "../support/fetch-policy.js";

const request = (text: string, extra: Record<string, unknown> = {}, parts: unknown[] = []) =>
  create(ChatCompletionRequestSchema, {
    messages: [
      parts.length > 0 ? { role: Role.USER, parts: parts as never } : { role: Role.USER, content: text },
    ],
    ...extra,
  });

describe("toolset selection (SPEC §4)", () => {
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
    ]);
    expect(registry.select([Toolset.WEB])).toEqual([]);
  });

  it("caps grow from :lite to :pro, and :auto sizes itself from the attachments", () => {
    expect(capsFor("lite", 0).steps).toBeLessThan(capsFor("fast", 0).steps);
    expect(capsFor("fast", 0).steps).toBeLessThan(capsFor("pro", 0).steps);
    expect(capsFor("auto", 3).steps).toBeGreaterThan(capsFor("auto", 0).steps);
    expect(capsFor("auto", 100).steps).toBeLessThanOrEqual(16);
  });
});
