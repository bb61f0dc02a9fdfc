import { workerPool } from "../../runtime/worker-pool.js";
import type * as PdfWorker from "./pdf-worker.js";

const pool = workerPool<typeof PdfWorker>(import.meta.url, "pdf-worker");

/** Runs one PDF job on the worker pool (started on first use, then kept warm). */
export function pdfJob<K extends keyof typeof PdfWorker>(
  name: K,
  args: Parameters<(typeof PdfWorker)[K]>[0],
  signal?: AbortSignal,
): Promise<Awaited<ReturnType<(typeof PdfWorker)[K]>>> {
  return pool.run(name, args, signal);
}
