import { type Job, Queue, WaitingError, Worker } from "bullmq";
import type { ExecutionConfig, StoreConfig } from "../config.js";
import type { Logger } from "../observability/logger.js";
import { settlesWithin } from "../runtime/settles-within.js";
import { connectRedis, type RedisClient, redisTarget } from "../store/redis-client.js";
import type { Dispatcher } from "./dispatch.js";
import type { ExecutionRunner } from "./execution-runner.js";

const QUEUE = "executions";

/** BullMQ's key prefix for executions: the store's prefix, hash-tagged on a Cluster. */
function queuePrefix(store: StoreConfig): string {
  const prefix = `${store.prefix}x-queue`;
  return store.clusterNodes.length > 0 ? `{${prefix}}` : prefix;
}

/**
 * On Redis an accepted execution is a BullMQ job (its id the execution's), taken by any API
 * replica. A replica that dies stops renewing its job's lock; once the lock lapses, BullMQ's
 * stalled-job check puts the job back and another replica resumes the run. A replica that is
 * stopping puts its running jobs straight back in the queue.
 */
export class RedisDispatcher implements Dispatcher {
  private readonly connections: RedisClient[] = [];
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: StoreConfig,
    private readonly runner: ExecutionRunner,
    private readonly config: ExecutionConfig,
    private readonly logger: Logger,
  ) {
    const client = connectRedis(redisTarget(store), "fail-fast", Math.max(store.commandTimeoutMs, 2_000));
    this.connections.push(client);
    this.queue = new Queue(QUEUE, { connection: client, prefix: queuePrefix(store) });
    this.queue.on("error", () => {}); // surfaced per call
  }

  async start(): Promise<void> {
    const connection = connectRedis(redisTarget(this.store), "blocking");
    this.connections.push(connection);
    const worker = new Worker<{ id: string }>(QUEUE, (job, token) => this.process(job, token), {
      connection,
      prefix: queuePrefix(this.store),
      concurrency: this.config.concurrency,
      lockDuration: this.config.lockMs,
      stalledInterval: this.config.lockMs,
      // The run itself counts its attempts and ends failed past ORION_EXECUTION_ATTEMPTS; BullMQ
      // must keep putting a stalled job back until then.
      maxStalledCount: this.config.attempts + 1,
    });
    worker.on("error", (error) => this.logger.warn({ err: error.message }, "execution worker error"));
    // A job BullMQ itself ended (stalled past its limit, an unexpected throw) must not leave its
    // execution running forever.
    worker.on("failed", (job, error) => {
      if (!job || error instanceof WaitingError) return;
      void this.runner.failFromQueue(job.data.id, `the run's job failed: ${error.message}`).catch(() => {});
    });
    this.worker = worker;
  }

  private async process(job: Job<{ id: string }>, token: string | undefined): Promise<void> {
    await this.runner.run(job.data.id, this.stopping.signal);
    if (this.stopping.signal.aborted) {
      // Unfinished because this replica is stopping: back in the queue for another one.
      await job.moveToWait(token);
      throw new WaitingError();
    }
  }

  async submitted(id: string): Promise<void> {
    await this.queue.add(
      "run",
      { id },
      { jobId: id, removeOnComplete: true, removeOnFail: { age: 86_400, count: 10_000 } },
    );
  }

  async close(timeoutMs: number): Promise<void> {
    this.stopping.abort();
    const closed = Promise.allSettled([this.worker?.close(), this.queue.close()]);
    await settlesWithin(closed, timeoutMs + 1_000);
    for (const connection of this.connections) connection.disconnect();
  }
}
