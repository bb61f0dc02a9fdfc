import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { Tool } from "../tool.js";
import { IMAGE_REF, loadImage, savePng } from "./image-input.js";

export const rotate: Tool = {
  name: "rotate",
  description: "Rotate an image clockwise by a number of degrees (multiples of 90 keep every pixel).",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  parameters: {
    type: "object",
    properties: { image: IMAGE_REF, degrees: { type: "number", minimum: -360, maximum: 360 } },
    required: ["image", "degrees"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const { id, image } = await loadImage(args.image, ctx);
    const saved = await savePng(image.rotate(args.degrees as number), ctx, `${id}-rotated.png`);
    return {
      summary: `rotated ${id} by ${args.degrees}° → ${saved.meta.id} (${saved.width}×${saved.height})`,
      data: { image: saved.meta.id, width: saved.width, height: saved.height },
      artifacts: [saved.meta],
    };
  },
};
