import { ToolError } from "../../../errors.js";
import { workerPool } from "../../../runtime/worker-pool.js";
import type * as BodyWorker from "./body-worker.js";

// One thread: the three models need about 150 MB of working memory together.
const pool = workerPool<typeof BodyWorker>(import.meta.url, "body-worker", { maxThreads: 1 });

async function run<K extends "detect" | "segmentPerson">(
  name: K,
  id: string,
  bytes: Uint8Array,
  signal: AbortSignal,
) {
  try {
    return await pool.run(name, { bytes }, signal);
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ToolError(
      `${name === "detect" ? "detection" : "segmentation"} failed on ${id}: ${(error as Error).message}`,
    );
  }
}

/** COCO objects and body poses of an image, from the shared worker. */
export const detectBodies = (id: string, bytes: Uint8Array, signal: AbortSignal) =>
  run("detect", id, bytes, signal);

/** A person mask of an image, from the same worker. */
export const segmentPersonMask = (id: string, bytes: Uint8Array, signal: AbortSignal) =>
  run("segmentPerson", id, bytes, signal);
