import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Job, Worker } from "bullmq";
import type { Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { Artifacts } from "../artifacts/artifacts.js";
import type { StoreConfig, ToolQueueConfig } from "../config.js";
import { ToolError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import { abortable } from "../runtime/abortable.js";
import { settlesWithin } from "../runtime/settles-within.js";
import { connectRedis, redisTarget } from "../store/redis-client.js";
import type { ToolRegistry } from "../tools/registry.js";
import type { ToolContext } from "../tools/tool.js";
import { BEAT_MS, WorkerPresence } from "./presence.js";
import {
  cancelChannel,
  cancelledKey,
  finalFailure,
  queueName,
  queuePrefix,
  type ToolJobData,
  type ToolJobResult,
  toolFailure,
  toolsetName,
} from "./tool-jobs.js";

export interface ToolWorkerOptions {
  queue: ToolQueueConfig;
  store: StoreConfig;
  /** The tools this worker can run (their heavy ones in `toolsets` are taken). */
  tools: ToolRegistry;
  toolsets: readonly Toolset[];
  artifacts: Artifacts;
  logger: Logger;
}

export interface ToolWorker {
  id: string;
  toolsets: readonly Toolset[];
  /** Stops taking jobs, lets running ones finish until `timeoutMs`, then hands them back to the queue. */
  close(timeoutMs: number): Promise<void>;
}

/** Aborts a run because this worker is stopping: the job goes back to the queue for another worker. */
const STOPPING = "this tool worker is stopping";

/**
 * The worker side of the tool-worker tier: one BullMQ Worker per toolset it takes, running the
 * registry's tools against the shared store's artifacts, with heartbeats so the API knows it is
 * there and a cancel channel so the API can stop a job it no longer waits for.
 */
export async function startToolWorker(options: ToolWorkerOptions): Promise<ToolWorker> {
  const { queue, store, tools, toolsets, artifacts, logger } = options;
  const prefix = queuePrefix(queue, store);
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const redis = connectRedis(redisTarget(store), "fail-fast", Math.max(store.commandTimeoutMs, 1_000));
  const presence = new WorkerPresence(redis, prefix);

  const runJob = async (
    job: Job<ToolJobData>,
    _token?: string,
    cancel?: AbortSignal,
  ): Promise<ToolJobResult> => {
    const startedAt = Date.now();
    const { tool: name, input, scope, deadline } = job.data;
    if (startedAt >= deadline) throw finalFailure("expired before a worker was free: nobody waits for it");
    if ((await redis.exists(cancelledKey(prefix, job.id ?? ""))) === 1) throw finalFailure("cancelled");
    const tool = tools.get(name);
    if (!tool?.heavy) throw toolFailure(`this worker has no heavy tool named ${name}`);
    const checked = tool.check(input);
    if (!checked.ok) throw toolFailure(`invalid arguments for ${name}: ${checked.problems.join("; ")}`);
    const signal = AbortSignal.any([
      cancel ?? new AbortController().signal,
      AbortSignal.timeout(deadline - startedAt),
    ]);
    let reported = Promise.resolve();
    const ctx: ToolContext = {
      signal,
      progress: (message) => {
        reported = reported.then(() => job.updateProgress({ message })).catch(() => {});
      },
      artifacts: {
        scope,
        put: (data, contentType, filename) => artifacts.put(scope, data, contentType, filename),
        get: (ref) => artifacts.get(scope, ref),
        adopt: () => {},
      },
    };
    try {
      const result = await abortable(tool.execute(checked.input, ctx), signal);
      await reported; // progress lands before the result, in order
      return { result, startedAt, finishedAt: Date.now() };
    } catch (error) {
      if (cancel?.aborted && cancel.reason === STOPPING) throw new Error(STOPPING); // retried elsewhere
      if (signal.aborted) throw finalFailure(cancel?.aborted ? "cancelled" : `${name} ran out of time`);
      if (error instanceof ToolError) throw toolFailure(error.message);
      // The store being down may pass; anything else a rerun would repeat.
      if (error instanceof ConnectError && error.code !== Code.Unavailable)
        throw finalFailure(error.rawMessage);
      throw error;
    }
  };

  const connections = [redis];
  const workers = toolsets.map((toolset) => {
    const connection = connectRedis(redisTarget(store), "blocking");
    connections.push(connection);
    const worker = new Worker<ToolJobData, ToolJobResult>(queueName(toolset), runJob, {
      connection,
      prefix,
      name: id, // a job's processedBy: which worker ran it
      concurrency: queue.workerConcurrency,
      lockDuration: queue.lockMs,
      stalledInterval: queue.lockMs,
      maxStalledCount: Math.max(0, queue.attempts - 1),
    });
    worker.on("error", (error) =>
      logger.warn({ err: error.message, toolset: toolsetName(toolset) }, "tool worker"),
    );
    worker.on("completed", (job, done) =>
      logger.info(
        { job: job.id, tool: job.data.tool, ms: done.finishedAt - done.startedAt },
        "tool job done",
      ),
    );
    worker.on("failed", (job, error) =>
      logger.info({ job: job?.id, tool: job?.data.tool, err: error.message }, "tool job failed"),
    );
    return worker;
  });

  const subscriber = connectRedis(redisTarget(store), "blocking");
  connections.push(subscriber);
  subscriber.on("message", (_channel: string, jobId: string) => {
    for (const worker of workers) worker.cancelJob(jobId, "cancelled by the caller");
  });
  await subscriber.subscribe(cancelChannel(prefix));

  const beat = () =>
    presence
      .beat(id, toolsets)
      .catch((error: unknown) =>
        logger.warn({ err: (error as Error).message }, "tool worker heartbeat failed"),
      );
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  await beat();
  const beating = setInterval(beat, BEAT_MS);

  return {
    id,
    toolsets,
    async close(timeoutMs) {
      clearInterval(beating);
      await presence.leave(id, toolsets).catch(() => {});
      const closed = Promise.allSettled(workers.map((w) => w.close()));
      const timer = setTimeout(() => {
        for (const worker of workers) worker.cancelAllJobs(STOPPING);
      }, timeoutMs);
      // Jobs hand themselves back once cancelled; a Redis that is down cannot hold the exit longer.
      await settlesWithin(closed, timeoutMs + 2_000);
      clearTimeout(timer);
      for (const connection of connections) connection.disconnect();
    },
  };
}
