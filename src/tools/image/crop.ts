import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import { imageRef, unitCoordinates } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadImage, savePng } from "./image-input.js";

export const crop = defineTool({
  name: "crop",
  description:
    "Crop an image to a box given as normalised [x, y, w, h] (0..1, from the top-left corner); returns a new image.",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  input: { image: imageRef(), xywh: unitCoordinates(4) },
  async execute(input, ctx) {
    const { id, image, meta } = await loadImage(input.image, ctx);
    const [x, y, w, h] = input.xywh;
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
});
