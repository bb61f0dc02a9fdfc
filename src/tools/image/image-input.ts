import type { Sharp } from "sharp";
import { ToolError } from "../../errors.js";
import { boundedImage, ImageRefused, imageMetadata } from "../../media/image-pixels.js";
import { artifactArg } from "../artifact-arg.js";
import type { ToolContext } from "../tool.js";

/** The stored artifact an image argument names, undecoded. */
export const imageArtifact = (ref: string, ctx: ToolContext) => artifactArg(ref, ctx, "image");

/** Loads an image argument's bytes and a sharp pipeline over them. */
export async function loadImage(ref: string, ctx: ToolContext) {
  const { id, data: bytes } = await imageArtifact(ref, ctx);
  try {
    return { id, image: boundedImage(bytes), meta: await imageMetadata(bytes), bytes };
  } catch (error) {
    if (error instanceof ImageRefused) throw new ToolError(`${id}: ${error.message}`);
    throw error;
  }
}

export async function savePng(pipeline: Sharp, ctx: ToolContext, filename: string) {
  const { data, info } = await pipeline.png().toBuffer({ resolveWithObject: true });
  const meta = await ctx.artifacts.put(new Uint8Array(data), "image/png", filename);
  return { meta, width: info.width, height: info.height };
}
