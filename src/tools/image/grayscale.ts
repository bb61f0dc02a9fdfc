import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { imageRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadImage, savePng } from "./image-input.js";

export const grayscale = defineTool({
  name: "grayscale",
  description: "Convert an image to grayscale (black and white).",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  input: { image: imageRef() },
  async execute(input, ctx) {
    const { id, image } = await loadImage(input.image, ctx);
    const saved = await savePng(image.greyscale(), ctx, `${id}-grayscale.png`);
    return {
      summary: `converted ${id} to grayscale → ${saved.meta.id}`,
      data: { image: saved.meta.id, width: saved.width, height: saved.height },
      artifacts: [saved.meta],
    };
  },
});
