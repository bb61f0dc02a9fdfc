import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { Queue, QueueEvents } from "bullmq";
import { Gauge } from "prom-client";
import type { Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { StoreConfig, ToolQueueConfig } from "../config.js";
import { Reason, reasonError, storeUnavailableError } from "../errors.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { settlesWithin } from "../runtime/settles-within.js";
import { connectRedis, type RedisClient, redisTarget } from "../store/redis-client.js";
import type { ToolRegistry } from "../tools/registry.js";
import { type AnyTool, DEFAULT_TOOL_TIMEOUT_MS, type ToolContext, type ToolResult } from "../tools/tool.js";
import { HEAVY_TOOLSETS } from "./heavy-toolsets.js";
import { BEAT_MS, WorkerPresence } from "./presence.js";
import {
  cancelChannel,
  cancelledKey,
  failureOf,
  queueName,
  queuePrefix,
  type ToolJobData,
  type ToolJobResult,
  toolsetName,
} from "./tool-jobs.js";

/** One call waiting on its job's events. */
interface PendingCall {
  toolset: Toolset;
  tool: string;
  enqueuedAt: number;
  progress(message: string): void;
  artifacts: ToolContext["artifacts"];
  resolve(result: ToolResult): void;
  reject(error: unknown): void;
}

/** A cancelled job's marker outlives any job's wait (deadlines are minutes at most). */
const CANCELLED_TTL_SECONDS = 24 * 3600;

/**
 * The API side of the tool-worker tier: heavy tools become BullMQ jobs on one queue per toolset;
 * results, failures and progress come back through each queue's events; a caller going away
 * removes a waiting job or tells the running worker to stop. The tool's checks, timeout and error
 * handling stay in the agent's tool runner, exactly as in-process.
 */
export class ToolQueue {
  private readonly prefix: string;
  private readonly redis: RedisClient;
  private readonly presence: WorkerPresence;
  private readonly queues = new Map<Toolset, Queue>();
  private readonly events: QueueEvents[] = [];
  /** Every connection made here, dropped at close even when BullMQ's own close waits on a dead Redis. */
  private readonly connections: RedisClient[] = [];
  private readonly pending = new Map<string, PendingCall>();
  private readonly present = new Map<Toolset, number>();
  private polling: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: ToolQueueConfig,
    private readonly store: StoreConfig,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.prefix = queuePrefix(config, store);
    this.redis = connectRedis(redisTarget(store), "fail-fast", store.commandTimeoutMs);
    this.connections.push(this.redis);
    this.presence = new WorkerPresence(this.redis, this.prefix);
    for (const toolset of HEAVY_TOOLSETS) {
      this.queues.set(
        toolset,
        new Queue(queueName(toolset), { connection: this.redis, prefix: this.prefix }),
      );
      const reader = connectRedis(redisTarget(store), "blocking");
      this.connections.push(reader);
      const events = new QueueEvents(queueName(toolset), {
        connection: reader,
        prefix: this.prefix,
      });
      events.on("error", () => {}); // reconnects in the background; calls meanwhile fail as 503
      events.on("progress", ({ jobId, data }) => {
        const message = (data as { message?: unknown } | undefined)?.message;
        if (typeof message === "string") this.pending.get(jobId)?.progress(message);
      });
      events.on("completed", ({ jobId, returnvalue }) => this.completed(jobId, returnvalue));
      events.on("failed", ({ jobId, failedReason }) => this.settle(jobId)?.reject(failureOf(failedReason)));
      events.on("stalled", () => this.metrics.toolJobsStalled.inc({ toolset: toolsetName(toolset) }));
      this.events.push(events);
    }
    const workers: Gauge<"toolset"> = new Gauge({
      name: "orion_tool_workers",
      help: "Tool workers present per toolset (heartbeats seen in the last few seconds)",
      labelNames: ["toolset"],
      registers: [metrics.registry],
      collect: () => {
        for (const toolset of HEAVY_TOOLSETS)
          workers.set({ toolset: toolsetName(toolset) }, this.workers(toolset));
      },
    });
    const depth: Gauge<"toolset" | "state"> = new Gauge({
      name: "orion_tool_queue_jobs",
      help: "Tool jobs per toolset and state (waiting, active, delayed)",
      labelNames: ["toolset", "state"],
      registers: [metrics.registry],
      collect: () => this.collectDepth(depth),
    });
  }

  /** Connects the event readers (bounded: an unreachable Redis is readiness's to report) and starts watching workers. */
  async start(timeoutMs: number): Promise<void> {
    const ready = Promise.all(this.events.map((e) => e.waitUntilReady()));
    if (!(await settlesWithin(ready, timeoutMs)))
      this.logger.warn("the tool queue's Redis is not reachable yet; heavy tools will fail until it is");
    await this.poll();
    this.polling = setInterval(() => void this.poll(), BEAT_MS);
    this.polling.unref();
  }

  /** Heavy tools of the registry run on workers from now on; listed unavailable while none serves their toolset. */
  offload(registry: ToolRegistry): void {
    registry.wrap(
      (tool) => tool.heavy === true && tool.provider === undefined,
      (tool) => ({ ...tool, execute: (input, ctx) => this.run(tool, input, ctx) }),
      (tool) => (this.workers(tool.toolset) === 0 ? this.noWorkersMessage(tool.toolset) : undefined),
    );
  }

  /** Workers present per toolset, by wire name (for /readyz). */
  workerCounts(): Record<string, number> {
    return Object.fromEntries(HEAVY_TOOLSETS.map((t) => [toolsetName(t), this.workers(t)]));
  }

  async close(): Promise<void> {
    clearInterval(this.polling);
    for (const call of this.pending.values())
      call.reject(reasonError(Code.Unavailable, Reason.shuttingDown, "the server is shutting down"));
    this.pending.clear();
    await settlesWithin(
      Promise.allSettled([
        ...this.events.map((e) => e.close()),
        ...[...this.queues.values()].map((q) => q.close()),
      ]),
      1_000,
    );
    for (const connection of this.connections) connection.disconnect();
  }

  private workers(toolset: Toolset): number {
    return this.present.get(toolset) ?? 0;
  }

  private noWorkersMessage(toolset: Toolset): string {
    return `no tool worker serves the ${toolsetName(toolset)} toolset: start one with \`npm run worker\` (the \`orion worker\` command) on the same Redis (ORION_TOOL_QUEUE=redis sends heavy tools to workers)`;
  }

  /** The chat's 503 when no worker serves a toolset: at the call, or when the last one goes away. */
  private noWorkersError(toolset: Toolset) {
    return reasonError(Code.Unavailable, Reason.toolWorkersUnavailable, this.noWorkersMessage(toolset), {
      metadata: { toolset: toolsetName(toolset), setting: "ORION_TOOL_QUEUE" },
    });
  }

  private async run(tool: AnyTool, input: unknown, ctx: ToolContext): Promise<ToolResult> {
    const toolset = tool.toolset;
    if (this.workers(toolset) === 0) throw this.noWorkersError(toolset);
    ctx.signal.throwIfAborted();
    const queue = this.queues.get(toolset) as Queue;
    const jobId = randomUUID();
    const data: ToolJobData = {
      tool: tool.name,
      input,
      scope: ctx.artifacts.scope,
      deadline: Date.now() + (tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS),
    };
    const answer = new Promise<ToolResult>((resolve, reject) => {
      this.pending.set(jobId, {
        toolset,
        tool: tool.name,
        enqueuedAt: Date.now(),
        progress: ctx.progress,
        artifacts: ctx.artifacts,
        resolve,
        reject,
      });
    });
    const onAbort = () => {
      this.settle(jobId)?.reject(ctx.signal.reason);
      void this.cancel(toolset, jobId);
    };
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    try {
      await this.bounded(
        queue.add(tool.name, data, {
          jobId,
          attempts: this.config.attempts,
          backoff: { type: "fixed", delay: 100 },
          removeOnComplete: true,
          removeOnFail: { age: 3_600, count: 1_000 },
        }),
      );
      return await answer;
    } catch (error) {
      this.pending.delete(jobId);
      throw error;
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
    }
  }

  /** A Redis command with the store's bound: a down or hung Redis is the store's 503, never a wait. */
  private async bounded<T>(op: Promise<T>): Promise<T> {
    const limit = Math.max(this.store.commandTimeoutMs * 4, 1_000);
    const outcome = op.then(
      (value) => ({ value }),
      () => undefined,
    );
    const answered = (await settlesWithin(outcome, limit)) ? await outcome : undefined;
    if (!answered) throw storeUnavailableError("tool queue");
    return answered.value;
  }

  private settle(jobId: string): PendingCall | undefined {
    const call = this.pending.get(jobId);
    this.pending.delete(jobId);
    return call;
  }

  private completed(jobId: string, returnvalue: unknown): void {
    const call = this.settle(jobId);
    if (!call) return;
    const done = (typeof returnvalue === "string" ? JSON.parse(returnvalue) : returnvalue) as ToolJobResult;
    this.metrics.toolQueueWaitSeconds.observe(
      { tool: call.tool },
      Math.max(0, done.startedAt - call.enqueuedAt) / 1000,
    );
    this.metrics.toolQueueRunSeconds.observe({ tool: call.tool }, (done.finishedAt - done.startedAt) / 1000);
    for (const meta of done.result.artifacts) call.artifacts.adopt(meta);
    call.resolve(done.result);
  }

  /** A waiting job is removed; a running one is marked and its worker told to stop. */
  private async cancel(toolset: Toolset, jobId: string): Promise<void> {
    try {
      const removed = await this.queues.get(toolset)?.remove(jobId);
      if (removed === 1) return;
    } catch {
      // locked by the worker running it: tell that worker
    }
    await Promise.all([
      this.redis.set(cancelledKey(this.prefix, jobId), "1", "EX", CANCELLED_TTL_SECONDS),
      this.redis.publish(cancelChannel(this.prefix), jobId),
    ]).catch((error: unknown) =>
      this.logger.warn({ err: (error as Error).message, job: jobId }, "could not cancel a tool job"),
    );
  }

  /** Reads heartbeats; calls on a toolset whose last worker went away fail now, not at their timeout. */
  private async poll(): Promise<void> {
    let counts: Map<Toolset, number>;
    try {
      counts = await this.presence.count(HEAVY_TOOLSETS);
    } catch {
      return; // Redis unreachable: keep the last reading; new calls fail on enqueueing
    }
    for (const [toolset, count] of counts) {
      this.present.set(toolset, count);
      if (count > 0) continue;
      for (const [jobId, call] of this.pending) {
        if (call.toolset !== toolset) continue;
        this.settle(jobId)?.reject(this.noWorkersError(toolset));
        void this.cancel(toolset, jobId);
      }
    }
  }

  /** Read when /metrics is scraped, each queue's counts with the store's bound. */
  private async collectDepth(gauge: Gauge<"toolset" | "state">): Promise<void> {
    await Promise.all(
      [...this.queues].map(async ([toolset, queue]) => {
        const counts = await this.bounded(queue.getJobCounts("waiting", "active", "delayed")).catch(
          () => undefined,
        );
        for (const [state, n] of Object.entries(counts ?? {}))
          gauge.set({ toolset: toolsetName(toolset), state }, n);
      }),
    );
  }
}
