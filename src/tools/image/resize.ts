import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import type { Tool } from "../tool.js";
import { IMAGE_REF, loadImage, savePng } from "./image-input.js";

export const resize: Tool = {
  name: "resize",
  description:
    "Resize an image to a width and/or height in pixels (aspect ratio kept when only one is given).",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  parameters: {
    type: "object",
    properties: {
      image: IMAGE_REF,
      width: { type: "integer", minimum: 1, maximum: 8192 },
      height: { type: "integer", minimum: 1, maximum: 8192 },
    },
    required: ["image"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    if (args.width === undefined && args.height === undefined)
      throw new ToolError("give a width, a height or both");
    const { id, image } = await loadImage(args.image, ctx);
    const saved = await savePng(
      image.resize({
        width: args.width as number | undefined,
        height: args.height as number | undefined,
        // One side given: keep the aspect ratio. Both given: exactly that size.
        fit: args.width !== undefined && args.height !== undefined ? "fill" : "inside",
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
};
