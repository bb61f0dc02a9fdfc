import { workerPool } from "../../../runtime/worker-pool.js";
import { ToolError } from "../../tool.js";
import type * as BodyWorker from "./body-worker.js";

// One thread: the two models need about 150 MB of working memory together.
let pool: ReturnType<typeof workerPool<typeof BodyWorker>> | undefined;

/** COCO objects and body poses of an image, from the shared worker. */
export async function detectBodies(id: string, bytes: Uint8Array, signal: AbortSignal) {
  pool ??= workerPool<typeof BodyWorker>(import.meta.url, "body-worker", 1);
  try {
    return await pool.run("detect", { bytes }, signal);
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ToolError(`detection failed on ${id}: ${(error as Error).message}`);
  }
}
