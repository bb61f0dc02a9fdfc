import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { imageRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { detectBodies } from "./detect/body-pool.js";
import { loadImage } from "./image-input.js";

export const detectObjects = defineTool({
  name: "detect_objects",
  description:
    "Detect common objects in an image (the 80 COCO classes: person, car, dog, cup, chair…, CenterNet on this server): each object's label, confidence and box as normalised [x, y, w, h].",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  heavy: true,
  input: {
    image: imageRef(),
    min_score: z.number().min(0.2).max(0.99).default(0.3),
    labels: z.array(z.string()).max(80).optional().describe("Keep only these classes"),
  },
  async execute(input, ctx) {
    const { id, bytes } = await loadImage(input.image, ctx);
    const minScore = input.min_score;
    const wanted = input.labels?.map((l) => l.toLowerCase());
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
});
