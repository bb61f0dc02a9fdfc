import type { JsonObject } from "@bufbuild/protobuf";
import { artifactArg } from "../artifact-arg.js";
import type { ToolContext } from "../tool.js";

export const VIDEO_REF: JsonObject = {
  type: "string",
  pattern: "^vid_[0-9a-f]{6}",
  description: 'A video artifact id, e.g. "vid_a1b2c3"',
};

export const loadVideo = (ref: unknown, ctx: ToolContext) => artifactArg(ref, ctx, "video");

/** Seconds as "12.345" for ffmpeg. */
export const seconds = (t: number) => t.toFixed(3);
