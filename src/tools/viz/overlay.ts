import sharp, { type OverlayOptions } from "sharp";
import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import { loadImage } from "../image/image-input.js";
import { overlaySvg } from "../image/overlay-svg.js";
import { hexColor, imageRef, labelledBoxes, labelledPoints } from "../inputs.js";
import { defineTool } from "../tool.js";

function hex(color: string): [number, number, number] {
  const n = Number.parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export const overlay = defineTool({
  name: "overlay",
  description:
    "Visualise results on an image: a mask (e.g. from segmentation) tinted over it, plus labelled boxes and points; returns a new image.",
  toolset: Toolset.VIZ,
  needs: ["image"],
  input: {
    image: imageRef(),
    mask: imageRef("A mask image artifact: white = inside, black = outside").optional(),
    mask_color: hexColor("The mask's tint").default("#ff0066"),
    opacity: z.number().min(0).max(1).default(0.5).describe("Mask tint opacity"),
    boxes: labelledBoxes().default([]),
    points: labelledPoints().default([]),
  },
  anyOf: ["mask", "boxes", "points"],
  async execute(input, ctx) {
    const { id, bytes } = await loadImage(input.image, ctx);
    const { data, info } = await sharp(bytes).rotate().png().toBuffer({ resolveWithObject: true });
    const layers: OverlayOptions[] = [];
    if (input.mask !== undefined) {
      const mask = await loadImage(input.mask, ctx);
      const { opacity } = input;
      const alpha = await sharp(mask.bytes)
        .greyscale()
        .resize(info.width, info.height, { fit: "fill" })
        .linear(opacity, 0)
        .raw()
        .toBuffer()
        .catch((error: Error) => {
          throw new ToolError(`the mask could not be read: ${error.message}`);
        });
      const [r, g, b] = hex(input.mask_color);
      const tint = Buffer.alloc(info.width * info.height * 4);
      for (let i = 0; i < alpha.length; i++) {
        tint[i * 4] = r;
        tint[i * 4 + 1] = g;
        tint[i * 4 + 2] = b;
        tint[i * 4 + 3] = alpha[i] ?? 0;
      }
      layers.push({ input: tint, raw: { width: info.width, height: info.height, channels: 4 } });
    }
    const { boxes, points } = input;
    if (boxes.length + points.length > 0) {
      layers.push({ input: Buffer.from(overlaySvg(info.width, info.height, boxes, points)) });
    }
    const out = await sharp(data).composite(layers).png().toBuffer();
    const meta = await ctx.artifacts.put(new Uint8Array(out), "image/png", `${id}-overlay.png`);
    return {
      summary: `overlaid ${input.mask ? "a mask, " : ""}${boxes.length} box${boxes.length === 1 ? "" : "es"} and ${points.length} point${points.length === 1 ? "" : "s"} on ${id} → ${meta.id}`,
      data: { image: meta.id, width: info.width, height: info.height },
      artifacts: [meta],
    };
  },
});
