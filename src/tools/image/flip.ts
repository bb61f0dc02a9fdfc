import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { imageRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadImage, savePng } from "./image-input.js";

export const flip = defineTool({
  name: "flip",
  description: "Flip (mirror) an image horizontally (left–right) or vertically (upside down).",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  input: {
    image: imageRef(),
    direction: z.enum(["horizontal", "vertical"]).default("horizontal"),
  },
  async execute(input, ctx) {
    const { id, image } = await loadImage(input.image, ctx);
    const { direction } = input;
    const flipped = direction === "vertical" ? image.flip() : image.flop();
    const saved = await savePng(flipped, ctx, `${id}-flipped.png`);
    return {
      summary: `flipped ${id} ${direction}ly → ${saved.meta.id}`,
      data: { image: saved.meta.id, direction, width: saved.width, height: saved.height },
      artifacts: [saved.meta],
    };
  },
});
