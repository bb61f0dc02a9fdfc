import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import { workerPool } from "../../runtime/worker-pool.js";
import { imageRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import type * as FaceWorker from "./detect/face-worker.js";
import { loadImage } from "./image-input.js";

// One thread: the model is 5 MB of weights and about 200 MB of working memory per thread.
const pool = workerPool<typeof FaceWorker>(import.meta.url, "detect/face-worker", { maxThreads: 1 });

export const detectFaces = defineTool({
  name: "detect_faces",
  description:
    "Find the faces in an image (SSD MobileNet, on this server): each face's box as normalised [x, y, w, h] and a confidence. Use with blur_regions to blur the faces.",
  toolset: Toolset.IMAGE,
  needs: ["image"],
  heavy: true,
  input: {
    image: imageRef(),
    min_confidence: z.number().min(0.05).max(0.99).default(0.5),
  },
  async execute(input, ctx) {
    const { id, bytes } = await loadImage(input.image, ctx);
    const minConfidence = input.min_confidence;
    let faces: Awaited<ReturnType<typeof FaceWorker.detectFaces>>;
    try {
      faces = await pool.run("detectFaces", { bytes, minConfidence }, ctx.signal);
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new ToolError(`face detection failed on ${id}: ${(error as Error).message}`);
    }
    return {
      summary: `found ${faces.length} face${faces.length === 1 ? "" : "s"} in ${id}`,
      data: { image: id, faces, boxes: faces.map((f) => f.xywh) },
      artifacts: [],
    };
  },
});
