import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { IMAGE_REF, loadImage } from "../image/image-input.js";
import type { Tool } from "../tool.js";

export const imageInfo: Tool = {
  name: "image_info",
  description:
    "Size of an image (how big it is: width and height in pixels, its dimensions or resolution), its format, colour channels and file size.",
  toolset: Toolset.CORE,
  needs: ["image"],
  parameters: {
    type: "object",
    properties: { image: IMAGE_REF },
    required: ["image"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const { id, meta, bytes } = await loadImage(args.image, ctx);
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
};
