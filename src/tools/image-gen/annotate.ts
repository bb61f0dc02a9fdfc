import sharp from "sharp";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { IMAGE_REF, loadImage } from "../image/image-input.js";
import { LABELLED_BOXES, LABELLED_POINTS, overlaySvg } from "../image/overlay-svg.js";
import type { Tool } from "../tool.js";

export const annotate: Tool = {
  name: "annotate",
  description:
    "Draw labelled boxes and points on an image (for example detections, or regions to point out); returns a new image.",
  toolset: Toolset.IMAGE_GEN,
  needs: ["image"],
  parameters: {
    type: "object",
    properties: {
      image: IMAGE_REF,
      boxes: LABELLED_BOXES,
      points: LABELLED_POINTS,
    },
    required: ["image"],
    anyOf: [{ required: ["boxes"] }, { required: ["points"] }],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const { id, bytes } = await loadImage(args.image, ctx);
    const base = sharp(bytes).rotate();
    const { data, info } = await base.png().toBuffer({ resolveWithObject: true });
    const boxes = (args.boxes as Parameters<typeof overlaySvg>[2] | undefined) ?? [];
    const points = (args.points as Parameters<typeof overlaySvg>[3] | undefined) ?? [];
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
};
