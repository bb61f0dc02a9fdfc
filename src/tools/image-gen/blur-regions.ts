import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { loadImage } from "../image/image-input.js";
import { applyToRegions } from "../image/regions.js";
import { boxes, imageRef } from "../inputs.js";
import { defineTool } from "../tool.js";

export const blurRegions = defineTool({
  name: "blur_regions",
  description:
    "Blur or pixelate regions of an image (for example detected faces or licence plates), leaving the rest untouched; returns a new image. Pixelate (or redact) when the content must not be recoverable.",
  toolset: Toolset.IMAGE_GEN,
  needs: ["image"],
  input: {
    image: imageRef(),
    boxes: boxes(),
    effect: z.enum(["blur", "pixelate"]).default("blur"),
  },
  async execute(input, ctx) {
    const { id, bytes } = await loadImage(input.image, ctx);
    const { effect } = input;
    const out = await applyToRegions(bytes, input.boxes, effect);
    const meta = await ctx.artifacts.put(out.png, "image/png", `${id}-${effect}.png`);
    return {
      summary: `${effect === "blur" ? "blurred" : "pixelated"} ${out.applied} region${out.applied === 1 ? "" : "s"} of ${id} → ${meta.id}`,
      data: { image: meta.id, regions: out.applied, effect },
      artifacts: [meta],
    };
  },
});
