import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { Tool } from "../tool.js";
import { IMAGE_REF, loadImage, savePng } from "./image-input.js";

export const grayscale: Tool = {
  name: "grayscale",
  description: "Convert an image to grayscale (black and white).",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  parameters: {
    type: "object",
    properties: { image: IMAGE_REF },
    required: ["image"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const { id, image } = await loadImage(args.image, ctx);
    const saved = await savePng(image.greyscale(), ctx, `${id}-grayscale.png`);
    return {
      summary: `converted ${id} to grayscale → ${saved.meta.id}`,
      data: { image: saved.meta.id, width: saved.width, height: saved.height },
      artifacts: [saved.meta],
    };
  },
};
