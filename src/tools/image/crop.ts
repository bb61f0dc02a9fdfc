import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import type { Tool } from "../tool.js";
import { IMAGE_REF, loadImage, savePng } from "./image-input.js";
import { unitCoordinates } from "./regions.js";

export const crop: Tool = {
  name: "crop",
  description:
    "Crop an image to a box given as normalised [x, y, w, h] (0..1, from the top-left corner); returns a new image.",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  parameters: {
    type: "object",
    properties: {
      image: IMAGE_REF,
      xywh: unitCoordinates(4),
    },
    required: ["image", "xywh"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const { id, image, meta } = await loadImage(args.image, ctx);
    const [x, y, w, h] = args.xywh as [number, number, number, number];
    const width = meta.width ?? 0;
    const height = meta.height ?? 0;
    const box = {
      left: Math.round(x * width),
      top: Math.round(y * height),
      width: Math.round(w * width),
      height: Math.round(h * height),
    };
    if (box.width < 1 || box.height < 1 || box.left + box.width > width || box.top + box.height > height) {
      throw new ToolError(`the box [${x}, ${y}, ${w}, ${h}] does not fit inside ${id} (${width}×${height})`);
    }
    const saved = await savePng(image.extract(box), ctx, `${id}-crop.png`);
    return {
      summary: `cropped ${id} to ${saved.width}×${saved.height} → ${saved.meta.id}`,
      data: {
        image: saved.meta.id,
        width: saved.width,
        height: saved.height,
        box: [box.left, box.top, box.width, box.height],
      },
      artifacts: [saved.meta],
    };
  },
};
