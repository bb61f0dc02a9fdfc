import { workerPool } from "../../runtime/worker-pool.js";
import type * as PdfWorker from "./pdf-worker.js";

let pool: ReturnType<typeof workerPool<typeof PdfWorker>> | undefined;

/** Runs one PDF job on the worker pool (started on first use, then kept warm). */
export function pdfJob<K extends keyof typeof PdfWorker>(
  name: K,
  args: Parameters<(typeof PdfWorker)[K]>[0],
  signal?: AbortSignal,
): Promise<Awaited<ReturnType<(typeof PdfWorker)[K]>>> {
  pool ??= workerPool<typeof PdfWorker>(import.meta.url, "pdf-worker");
  return pool.run(name, args, signal);
}
