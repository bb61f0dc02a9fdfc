import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { imageRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { detectBodies } from "./detect/body-pool.js";
import { loadImage } from "./image-input.js";

export const detectPose = defineTool({
  name: "detect_pose",
  description:
    "Find the person in an image and their body pose (MoveNet on this server): the person's box and the keypoints it can see (of 17: nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles) as normalised [x, y] with confidences.",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  heavy: true,
  input: { image: imageRef() },
  async execute(input, ctx) {
    const { id, bytes } = await loadImage(input.image, ctx);
    const { people } = await detectBodies(id, bytes, ctx.signal);
    const found = people.filter((p) => p.score >= 0.2);
    return {
      summary: `found ${found.length} ${found.length === 1 ? "person" : "people"} with pose keypoints in ${id}`,
      data: { image: id, people: found, boxes: found.map((p) => p.xywh) },
      artifacts: [],
    };
  },
});
