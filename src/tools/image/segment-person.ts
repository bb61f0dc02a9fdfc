import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { Tool } from "../tool.js";
import { segmentPersonMask } from "./detect/body-pool.js";
import { IMAGE_REF, loadImage } from "./image-input.js";

export const segmentPerson: Tool = {
  name: "segment_person",
  description:
    "Person segmentation: a mask image the size of the input, white where a person is and black elsewhere (MediaPipe Selfie on this server), with how much of the image it covers. Use overlay to show it.",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  parameters: {
    type: "object",
    properties: { image: IMAGE_REF },
    required: ["image"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const { id, bytes } = await loadImage(args.image, ctx);
    const result = await segmentPersonMask(id, bytes, ctx.signal);
    const meta = await ctx.artifacts.put(result.mask, "image/png", `${id}-person-mask.png`);
    return {
      summary: `person mask of ${id} covers ${Math.round(result.coverage * 100)}% of the image → ${meta.id}`,
      data: { image: id, mask: meta.id, coverage: result.coverage, xywh: result.xywh },
      artifacts: [meta],
    };
  },
};
