import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { imageRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadImage, savePng } from "./image-input.js";

export const rotate = defineTool({
  name: "rotate",
  description: "Rotate an image clockwise by a number of degrees (multiples of 90 keep every pixel).",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  input: { image: imageRef(), degrees: z.number().min(-360).max(360) },
  async execute(input, ctx) {
    const { id, image } = await loadImage(input.image, ctx);
    const saved = await savePng(image.rotate(input.degrees), ctx, `${id}-rotated.png`);
    return {
      summary: `rotated ${id} by ${input.degrees}° → ${saved.meta.id} (${saved.width}×${saved.height})`,
      data: { image: saved.meta.id, width: saved.width, height: saved.height },
      artifacts: [saved.meta],
    };
  },
});
