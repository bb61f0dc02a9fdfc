import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";

type Functions = Record<string, (args: never) => unknown>;

let idleDefaultMs = 300_000;

/**
 * How long a tool's worker threads (and the models they hold) stay after their last job
 * (ORION_TOOL_IDLE_MS): a later first use pays the warm-up again, an idle server gives the memory
 * back. Read when a pool starts; set once at start-up.
 */
export function configureToolIdle(ms: number): void {
  idleDefaultMs = ms;
}

export const toolIdleMs = (): number => idleDefaultMs;

export interface WorkerPool<M extends Functions> {
  run<K extends keyof M & string>(
    name: K,
    args: Parameters<M[K]>[0],
    signal?: AbortSignal,
  ): Promise<Awaited<ReturnType<M[K]>>>;
  destroy(): Promise<void>;
}

/**
 * A pool of worker threads for CPU-bound tool work (PDF parsing and painting, chart layout), so
 * one request's document never stalls every other request on the event loop. Nothing starts
 * until the first job (so a tool module may create its pool at load time, free); threads then
 * stay warm while in use (a tool's first use may be slow, its later uses must not be) and end after
 * the idle time (`configureToolIdle`).
 *
 * `module` is the worker module's name beside the caller (`callerUrl` = the caller's
 * import.meta.url). From TypeScript sources it is reached through `tsx-worker.mjs`.
 */
export interface WorkerPoolOptions {
  maxThreads?: number;
  /** Heap caps per thread; a job past them ends its thread (and fails) instead of the process. */
  resourceLimits?: { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb?: number };
  /** Threads idle this long are ended, giving their memory back; default: ORION_TOOL_IDLE_MS. */
  idleTimeoutMs?: number;
}

export function workerPool<M extends Functions>(
  callerUrl: string,
  module: string,
  { maxThreads = 2, resourceLimits, idleTimeoutMs }: WorkerPoolOptions = {},
): WorkerPool<M> {
  const fromSources = callerUrl.endsWith(".ts");
  const target = new URL(`./${module}${fromSources ? ".ts" : ".js"}`, callerUrl);
  let pool: Piscina | undefined;
  const started = () =>
    (pool ??= new Piscina({
      filename: fileURLToPath(fromSources ? new URL("./tsx-worker.mjs", import.meta.url) : target),
      minThreads: 0,
      maxThreads: Math.max(1, Math.min(maxThreads, availableParallelism())),
      idleTimeout: idleTimeoutMs ?? idleDefaultMs,
      ...(resourceLimits ? { resourceLimits } : {}),
    }));
  return {
    run(name, args, signal) {
      const workers = started();
      const options = signal ? { signal } : {};
      const result = fromSources
        ? workers.run({ module: target.href, name, args }, options)
        : workers.run(args, { ...options, name });
      return result as never;
    },
    destroy: async () => {
      await pool?.destroy();
      pool = undefined;
    },
  };
}
