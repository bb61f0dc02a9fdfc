import type { JsonObject } from "@bufbuild/protobuf";
import { type ToolContext, ToolError } from "../tool.js";

export const VIDEO_REF: JsonObject = {
  type: "string",
  pattern: "^vid_[0-9a-f]{6}",
  description: 'A video artifact id, e.g. "vid_a1b2c3"',
};

export async function loadVideo(ref: unknown, ctx: ToolContext) {
  const id = ref as string;
  const found = await ctx.artifacts.get(id);
  if (!found) throw new ToolError(`no video ${id} in this session`);
  return { id, data: found.data, meta: found.meta };
}

/** Seconds as "12.345" for ffmpeg. */
export const seconds = (t: number) => t.toFixed(3);
