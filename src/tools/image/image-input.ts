import type { JsonObject } from "@bufbuild/protobuf";
import sharp, { type Sharp } from "sharp";
import { type ToolContext, ToolError } from "../tool.js";

/** The schema of an image argument: "img_ab12cd" or {"id": "img_ab12cd"} (Orion's ref form). */
export const IMAGE_REF: JsonObject = {
  description: 'An image artifact id, e.g. "img_a1b2c3", or {"id": "img_a1b2c3"}',
  anyOf: [
    { type: "string", pattern: "^img_[0-9a-f]{6}" },
    { type: "object", properties: { id: { type: "string", pattern: "^img_[0-9a-f]{6}" } }, required: ["id"] },
  ],
};

/** Loads an image argument's bytes and a sharp pipeline over them. */
export async function loadImage(ref: unknown, ctx: ToolContext) {
  const id = typeof ref === "string" ? ref : (ref as { id: string }).id;
  const found = await ctx.artifacts.get(id);
  if (!found) throw new ToolError(`no image ${id} in this session`);
  try {
    const image = sharp(found.data, { limitInputPixels: 100_000_000 });
    const meta = await image.metadata();
    return { id, image, meta, bytes: found.data };
  } catch (error) {
    throw new ToolError(`${id} is not a readable image (${(error as Error).message})`);
  }
}

export async function savePng(pipeline: Sharp, ctx: ToolContext, filename: string) {
  const { data, info } = await pipeline.png().toBuffer({ resolveWithObject: true });
  const meta = await ctx.artifacts.put(new Uint8Array(data), "image/png", filename);
  return { meta, width: info.width, height: info.height };
}
