import { artifactArg } from "../artifact-arg.js";
import type { ToolContext } from "../tool.js";

export const loadVideo = (ref: string, ctx: ToolContext) => artifactArg(ref, ctx, "video");

/** Seconds as "12.345" for ffmpeg. */
export const seconds = (t: number) => t.toFixed(3);
