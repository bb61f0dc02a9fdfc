import type { JsonObject } from "@bufbuild/protobuf";
import sharp, { type Sharp } from "sharp";
import { ToolError } from "../../errors.js";
import { artifactArg } from "../artifact-arg.js";
import type { ToolContext } from "../tool.js";

/** The schema of an image argument: "img_ab12cd" or {"id": "img_ab12cd"} (Orion's ref form). */
export const IMAGE_REF: JsonObject = {
  description: 'An image artifact id, e.g. "img_a1b2c3", or {"id": "img_a1b2c3"}',
  anyOf: [
    { type: "string", pattern: "^img_[0-9a-f]{6}" },
    { type: "object", properties: { id: { type: "string", pattern: "^img_[0-9a-f]{6}" } }, required: ["id"] },
  ],
};

/** The stored artifact an image argument names, undecoded. */
export const imageArtifact = (ref: unknown, ctx: ToolContext) => artifactArg(ref, ctx, "image");

/** Loads an image argument's bytes and a sharp pipeline over them. */
export async function loadImage(ref: unknown, ctx: ToolContext) {
  const { id, data: bytes } = await imageArtifact(ref, ctx);
  try {
    const image = sharp(bytes, { limitInputPixels: 100_000_000 });
    const meta = await image.metadata();
    return { id, image, meta, bytes };
  } catch (error) {
    throw new ToolError(`${id} is not a readable image (${(error as Error).message})`);
  }
}

export async function savePng(pipeline: Sharp, ctx: ToolContext, filename: string) {
  const { data, info } = await pipeline.png().toBuffer({ resolveWithObject: true });
  const meta = await ctx.artifacts.put(new Uint8Array(data), "image/png", filename);
  return { meta, width: info.width, height: info.height };
}
