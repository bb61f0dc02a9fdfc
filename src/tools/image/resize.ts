import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { imageRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadImage, savePng } from "./image-input.js";

export const resize = defineTool({
  name: "resize",
  description:
    "Resize an image to a width and/or height in pixels (aspect ratio kept when only one is given).",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  input: {
    image: imageRef(),
    width: z.number().int().min(1).max(8192).optional(),
    height: z.number().int().min(1).max(8192).optional(),
  },
  anyOf: ["width", "height"],
  async execute(input, ctx) {
    const { id, image } = await loadImage(input.image, ctx);
    const saved = await savePng(
      image.resize({
        width: input.width,
        height: input.height,
        // One side given: keep the aspect ratio. Both given: exactly that size.
        fit: input.width !== undefined && input.height !== undefined ? "fill" : "inside",
      }),
      ctx,
      `${id}-resized.png`,
    );
    return {
      summary: `resized ${id} to ${saved.width}×${saved.height} → ${saved.meta.id}`,
      data: { image: saved.meta.id, width: saved.width, height: saved.height },
      artifacts: [saved.meta],
    };
  },
});
