import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { loadImage } from "../image/image-input.js";
import { imageRef } from "../inputs.js";
import { defineTool } from "../tool.js";

export const imageInfo = defineTool({
  name: "image_info",
  description:
    "Size of an image (how big it is: width and height in pixels, its dimensions or resolution), its format, colour channels and file size.",
  toolset: Toolset.CORE,
  needs: ["image"],
  input: { image: imageRef() },
  async execute(input, ctx) {
    const { id, meta, bytes } = await loadImage(input.image, ctx);
    const data = {
      image: id,
      width: meta.width ?? 0,
      height: meta.height ?? 0,
      format: meta.format ?? "unknown",
      channels: meta.channels ?? 0,
      has_alpha: meta.hasAlpha ?? false,
      bytes: bytes.byteLength,
    };
    return {
      summary: `${id}: ${data.width}×${data.height} ${data.format}, ${data.bytes} bytes`,
      data,
      artifacts: [],
    };
  },
});
