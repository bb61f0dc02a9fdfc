import { type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import type { ExecutionConfig, FetchPolicy, StoreConfig } from "../config.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { settlesWithin } from "../runtime/settles-within.js";
import { connectRedis, type RedisClient, redisTarget } from "../store/redis-client.js";
import { deliverOnce, RETRY_STEPS, type Webhook, type WebhookSender } from "./webhooks.js";

const QUEUE = "webhooks";

/**
 * On Redis each webhook is a BullMQ job (its id the webhook's, so it is queued once), retried with
 * BullMQ's backoff on the RETRY_STEPS schedule by whichever replica is up: a retry survives the
 * replica that made the first attempt.
 */
export class RedisWebhooks implements WebhookSender {
  private readonly connections: RedisClient[] = [];
  private readonly queue: Queue<Webhook>;
  private readonly worker: Worker<Webhook>;

  constructor(
    store: StoreConfig,
    private readonly config: ExecutionConfig,
    private readonly policy: FetchPolicy,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    const prefix = store.clusterNodes.length > 0 ? `{${store.prefix}x-hooks}` : `${store.prefix}x-hooks`;
    const client = connectRedis(redisTarget(store), "fail-fast", Math.max(store.commandTimeoutMs, 2_000));
    const blocking = connectRedis(redisTarget(store), "blocking");
    this.connections.push(client, blocking);
    this.queue = new Queue<Webhook>(QUEUE, { connection: client, prefix });
    this.queue.on("error", () => {});
    this.worker = new Worker<Webhook>(QUEUE, (job) => this.attempt(job), {
      connection: blocking,
      prefix,
      concurrency: 16,
      lockDuration: config.webhookTimeoutMs + 5_000,
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          (RETRY_STEPS[attemptsMade - 1] ?? RETRY_STEPS.at(-1) ?? 1) * config.webhookRetryBaseMs,
      },
    });
    this.worker.on("error", (error) => logger.warn({ err: error.message }, "webhook worker error"));
  }

  private async attempt(job: Job<Webhook>): Promise<void> {
    const secret = this.config.webhookSecret;
    if (!secret) throw new UnrecoverableError("no ORION_WEBHOOK_SECRET");
    const { outcome, detail } = await deliverOnce(
      job.data,
      secret,
      this.policy,
      this.config.webhookTimeoutMs,
    );
    const last = job.attemptsMade + 1 >= RETRY_STEPS.length + 1;
    const label = outcome === "retry" ? (last ? "gave_up" : "retried") : outcome;
    this.metrics.webhookDeliveries.inc({ outcome: label });
    if (outcome === "delivered") return;
    this.logger.warn({ webhook_id: job.data.id, outcome: label, detail }, "webhook not delivered");
    if (outcome === "refused") throw new UnrecoverableError(detail);
    throw new Error(detail);
  }

  async send(hook: Webhook): Promise<void> {
    await this.queue.add("deliver", hook, {
      jobId: hook.id,
      attempts: RETRY_STEPS.length + 1,
      backoff: { type: "custom" },
      removeOnComplete: { age: 86_400, count: 10_000 },
      removeOnFail: { age: 86_400, count: 10_000 },
    });
  }

  async close(timeoutMs: number): Promise<void> {
    await settlesWithin(Promise.allSettled([this.worker.close(), this.queue.close()]), timeoutMs + 1_000);
    for (const connection of this.connections) connection.disconnect();
  }
}
