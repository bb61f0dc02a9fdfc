import sharp, { type OverlayOptions } from "sharp";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import { IMAGE_REF, loadImage } from "../image/image-input.js";
import { LABELLED_BOXES, LABELLED_POINTS, overlaySvg } from "../image/overlay-svg.js";
import type { Tool } from "../tool.js";

function hex(color: string): [number, number, number] {
  const n = Number.parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export const overlay: Tool = {
  name: "overlay",
  description:
    "Visualise results on an image: a mask (e.g. from segmentation) tinted over it, plus labelled boxes and points; returns a new image.",
  toolset: Toolset.VIZ,
  needs: ["image"],
  parameters: {
    type: "object",
    properties: {
      image: IMAGE_REF,
      mask: { ...IMAGE_REF, description: "A mask image artifact: white = inside, black = outside" },
      mask_color: { type: "string", pattern: "^#[0-9a-fA-F]{6}$", description: "default #ff0066" },
      opacity: { type: "number", minimum: 0, maximum: 1, description: "Mask tint opacity (default 0.5)" },
      boxes: LABELLED_BOXES,
      points: LABELLED_POINTS,
    },
    required: ["image"],
    anyOf: [{ required: ["mask"] }, { required: ["boxes"] }, { required: ["points"] }],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const { id, bytes } = await loadImage(args.image, ctx);
    const { data, info } = await sharp(bytes).rotate().png().toBuffer({ resolveWithObject: true });
    const layers: OverlayOptions[] = [];
    if (args.mask !== undefined) {
      const mask = await loadImage(args.mask, ctx);
      const opacity = (args.opacity as number | undefined) ?? 0.5;
      const alpha = await sharp(mask.bytes)
        .greyscale()
        .resize(info.width, info.height, { fit: "fill" })
        .linear(opacity, 0)
        .raw()
        .toBuffer()
        .catch((error: Error) => {
          throw new ToolError(`the mask could not be read: ${error.message}`);
        });
      const [r, g, b] = hex((args.mask_color as string | undefined) ?? "#ff0066");
      const tint = Buffer.alloc(info.width * info.height * 4);
      for (let i = 0; i < alpha.length; i++) {
        tint[i * 4] = r;
        tint[i * 4 + 1] = g;
        tint[i * 4 + 2] = b;
        tint[i * 4 + 3] = alpha[i] ?? 0;
      }
      layers.push({ input: tint, raw: { width: info.width, height: info.height, channels: 4 } });
    }
    const boxes = (args.boxes as Parameters<typeof overlaySvg>[2] | undefined) ?? [];
    const points = (args.points as Parameters<typeof overlaySvg>[3] | undefined) ?? [];
    if (boxes.length + points.length > 0) {
      layers.push({ input: Buffer.from(overlaySvg(info.width, info.height, boxes, points)) });
    }
    const out = await sharp(data).composite(layers).png().toBuffer();
    const meta = await ctx.artifacts.put(new Uint8Array(out), "image/png", `${id}-overlay.png`);
    return {
      summary: `overlaid ${args.mask ? "a mask, " : ""}${boxes.length} box${boxes.length === 1 ? "" : "es"} and ${points.length} point${points.length === 1 ? "" : "s"} on ${id} → ${meta.id}`,
      data: { image: meta.id, width: info.width, height: info.height },
      artifacts: [meta],
    };
  },
};
