import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { Tool } from "../tool.js";
import { IMAGE_REF, loadImage, savePng } from "./image-input.js";

export const flip: Tool = {
  name: "flip",
  description: "Flip (mirror) an image horizontally (left–right) or vertically (upside down).",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  parameters: {
    type: "object",
    properties: {
      image: IMAGE_REF,
      direction: { type: "string", enum: ["horizontal", "vertical"], description: "default horizontal" },
    },
    required: ["image"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const { id, image } = await loadImage(args.image, ctx);
    const direction = (args.direction as string | undefined) ?? "horizontal";
    const flipped = direction === "vertical" ? image.flip() : image.flop();
    const saved = await savePng(flipped, ctx, `${id}-flipped.png`);
    return {
      summary: `flipped ${id} ${direction}ly → ${saved.meta.id}`,
      data: { image: saved.meta.id, direction, width: saved.width, height: saved.height },
      artifacts: [saved.meta],
    };
  },
};
