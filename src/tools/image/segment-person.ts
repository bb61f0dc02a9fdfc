import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { imageRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { segmentPersonMask } from "./detect/body-pool.js";
import { loadImage } from "./image-input.js";

export const segmentPerson = defineTool({
  name: "segment_person",
  description:
    "Person segmentation: a mask image the size of the input, white where a person is and black elsewhere (MediaPipe Selfie on this server), with how much of the image it covers. Use overlay to show it.",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  heavy: true,
  input: { image: imageRef() },
  async execute(input, ctx) {
    const { id, bytes } = await loadImage(input.image, ctx);
    const result = await segmentPersonMask(id, bytes, ctx.signal);
    const meta = await ctx.artifacts.put(result.mask, "image/png", `${id}-person-mask.png`);
    return {
      summary: `person mask of ${id} covers ${Math.round(result.coverage * 100)}% of the image → ${meta.id}`,
      data: { image: id, mask: meta.id, coverage: result.coverage, xywh: result.xywh },
      artifacts: [meta],
    };
  },
});
