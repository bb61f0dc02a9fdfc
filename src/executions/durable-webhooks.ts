import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { ExecutionConfig, FetchPolicy } from "../config.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { settlesWithin } from "../runtime/settles-within.js";
import type { QueuedWebhook, SqliteWebhooks } from "../store/sqlite-webhooks.js";
import { afterAttempt, deliverOnce, type Webhook, type WebhookSender } from "./webhooks.js";

/** Longest a process goes without looking for due deliveries (another process's, or after a restart). */
const POLL_MS = 1_000;
/** Most attempts in flight in one process; also the most taken in one look. */
const MAX_IN_FLIGHT = 16;
/** A lease outlasts one attempt's deadline by this much (the URL guard's lookup, the store write). */
const LEASE_MARGIN_MS = 5_000;

/**
 * The durable embedded store's sender: every delivery is a row in the store's file, written before
 * the first attempt, so neither it nor a retry is lost when the process stops or is killed. Each
 * server process looks for due rows on a timer (at once when it queued one or a retry of its own
 * falls due), takes them under a lease, makes the attempt with the guarded `deliverOnce`, then
 * deletes the row (delivered, refused, given up) or records when the next attempt is due.
 * Delivery is never awaited by a run: `send` only writes the row.
 */
export class DurableWebhooks implements WebhookSender {
  private readonly worker = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private polling = false;
  private pollAgain = false;
  private closed = false;

  constructor(
    private readonly queue: SqliteWebhooks,
    private readonly config: ExecutionConfig,
    private readonly policy: FetchPolicy,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** Starts sending what is queued (deliveries left by an earlier process included). */
  start(): void {
    if (this.config.webhookSecret) this.wakeIn(0);
  }

  async send(hook: Webhook): Promise<void> {
    if (!this.config.webhookSecret || this.closed) return;
    await this.queue.add(hook);
    this.wakeIn(0);
  }

  /** Looks for due deliveries in `delayMs`, unless a look is already planned sooner. */
  private wakeIn(delayMs: number): void {
    if (this.closed) return;
    const at = Date.now() + delayMs;
    if (this.timer && at >= this.wakeAt) return;
    clearTimeout(this.timer);
    this.wakeAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      void this.poll();
    }, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    this.pollAgain = false;
    let nextInMs = POLL_MS;
    try {
      const leaseMs = this.config.webhookTimeoutMs + LEASE_MARGIN_MS;
      const due = await this.queue.claimDue(this.worker, leaseMs, MAX_IN_FLIGHT - this.inFlight.size);
      for (const hook of due) {
        const attempt = this.attempt(hook).finally(() => {
          this.inFlight.delete(attempt);
          if (this.inFlight.size === MAX_IN_FLIGHT - 1) this.wakeIn(0); // room again
        });
        this.inFlight.add(attempt);
      }
      if (this.inFlight.size < MAX_IN_FLIGHT) {
        nextInMs = Math.min(POLL_MS, (await this.queue.nextDueIn()) ?? POLL_MS);
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, "could not look for webhooks to deliver");
    } finally {
      this.polling = false;
    }
    this.wakeIn(this.pollAgain ? 0 : nextInMs);
  }

  private async attempt(hook: QueuedWebhook): Promise<void> {
    const secret = this.config.webhookSecret as Uint8Array;
    const { outcome, detail } = await deliverOnce(hook, secret, this.policy, this.config.webhookTimeoutMs);
    const { label, retryInMs } = afterAttempt(outcome, hook.attempt, this.config.webhookRetryBaseMs);
    this.metrics.webhookDeliveries.inc({ outcome: label });
    if (outcome !== "delivered") {
      this.logger.warn({ webhook_id: hook.id, outcome: label, detail }, "webhook not delivered");
    }
    try {
      if (retryInMs === undefined) {
        await this.queue.remove(hook.id, this.worker);
      } else {
        await this.queue.reschedule(hook.id, this.worker, hook.attempt + 1, retryInMs);
        this.wakeIn(retryInMs);
      }
    } catch (error) {
      // The lease lapses and the attempt is made again: at least once, never lost.
      this.logger.warn({ webhook_id: hook.id, err: (error as Error).message }, "webhook state not saved");
    }
  }

  /** Stops looking; attempts in flight get until the deadline, then their rows wait for the next start. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await settlesWithin(Promise.allSettled([...this.inFlight]), timeoutMs);
  }
}
