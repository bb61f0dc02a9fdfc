import sharp from "sharp";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { loadImage } from "../image/image-input.js";
import { overlaySvg } from "../image/overlay-svg.js";
import { imageRef, labelledBoxes, labelledPoints } from "../inputs.js";
import { defineTool } from "../tool.js";

export const annotate = defineTool({
  name: "annotate",
  description:
    "Draw labelled boxes and points on an image (for example detections, or regions to point out); returns a new image.",
  toolset: Toolset.IMAGE_GEN,
  needs: ["image"],
  input: {
    image: imageRef(),
    boxes: labelledBoxes().default([]),
    points: labelledPoints().default([]),
  },
  anyOf: ["boxes", "points"],
  async execute(input, ctx) {
    const { id, bytes } = await loadImage(input.image, ctx);
    const base = sharp(bytes).rotate();
    const { data, info } = await base.png().toBuffer({ resolveWithObject: true });
    const { boxes, points } = input;
    const svg = overlaySvg(info.width, info.height, boxes, points);
    const out = await sharp(data)
      .composite([{ input: Buffer.from(svg), left: 0, top: 0 }])
      .png()
      .toBuffer();
    const meta = await ctx.artifacts.put(new Uint8Array(out), "image/png", `${id}-annotated.png`);
    return {
      summary: `drew ${boxes.length} box${boxes.length === 1 ? "" : "es"} and ${points.length} point${points.length === 1 ? "" : "s"} on ${id} → ${meta.id}`,
      data: { image: meta.id, boxes: boxes.length, points: points.length },
      artifacts: [meta],
    };
  },
});
