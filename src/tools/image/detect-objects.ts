import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { Tool } from "../tool.js";
import { detectBodies } from "./detect/body-pool.js";
import { IMAGE_REF, loadImage } from "./image-input.js";

export const detectObjects: Tool = {
  name: "detect_objects",
  description:
    "Detect common objects in an image (the 80 COCO classes: person, car, dog, cup, chair…, CenterNet on this server): each object's label, confidence and box as normalised [x, y, w, h].",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  parameters: {
    type: "object",
    properties: {
      image: IMAGE_REF,
      min_score: { type: "number", minimum: 0.2, maximum: 0.99, description: "default 0.3" },
      labels: {
        type: "array",
        items: { type: "string" },
        maxItems: 80,
        description: "Keep only these classes",
      },
    },
    required: ["image"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const { id, bytes } = await loadImage(args.image, ctx);
    const minScore = (args.min_score as number | undefined) ?? 0.3;
    const wanted = (args.labels as string[] | undefined)?.map((l) => l.toLowerCase());
    const { objects } = await detectBodies(id, bytes, ctx.signal);
    const kept = objects.filter((o) => o.score >= minScore && (!wanted || wanted.includes(o.label)));
    const byLabel = new Map<string, number>();
    for (const o of kept) byLabel.set(o.label, (byLabel.get(o.label) ?? 0) + 1);
    const counts = [...byLabel].map(([label, n]) => `${n} ${label}`);
    return {
      summary: `found ${kept.length} object${kept.length === 1 ? "" : "s"} in ${id}${counts.length > 0 ? `: ${counts.join(", ")}` : ""}`,
      data: { image: id, objects: kept, boxes: kept.map((o) => o.xywh) },
      artifacts: [],
    };
  },
};
