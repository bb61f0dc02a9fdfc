import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { IMAGE_REF, loadImage } from "../image/image-input.js";
import { applyToRegions, BOXES, type RegionEffect, type Xywh } from "../image/regions.js";
import type { Tool } from "../tool.js";

export const blurRegions: Tool = {
  name: "blur_regions",
  description:
    "Blur or pixelate regions of an image (for example detected faces or licence plates), leaving the rest untouched; returns a new image. Pixelate (or redact) when the content must not be recoverable.",
  toolset: Toolset.IMAGE_GEN,
  needs: ["image"],
  parameters: {
    type: "object",
    properties: {
      image: IMAGE_REF,
      boxes: BOXES,
      effect: { type: "string", enum: ["blur", "pixelate"], description: "default blur" },
    },
    required: ["image", "boxes"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const { id, bytes } = await loadImage(args.image, ctx);
    const effect = ((args.effect as string | undefined) ?? "blur") as RegionEffect;
    const out = await applyToRegions(bytes, args.boxes as Xywh[], effect);
    const meta = await ctx.artifacts.put(out.png, "image/png", `${id}-${effect}.png`);
    return {
      summary: `${effect === "blur" ? "blurred" : "pixelated"} ${out.applied} region${out.applied === 1 ? "" : "s"} of ${id} → ${meta.id}`,
      data: { image: meta.id, regions: out.applied, effect },
      artifacts: [meta],
    };
  },
};
