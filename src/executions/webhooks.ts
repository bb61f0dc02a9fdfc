import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { ExecutionConfig, FetchPolicy } from "../config.js";
import { checkUrl, FetchRefused } from "../media/guarded-fetch.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";

/** One webhook: the same id and body on every attempt (Standard Webhooks). */
export interface Webhook {
  id: string;
  url: string;
  body: string;
}

export type DeliveryOutcome = "delivered" | "retry" | "refused";

/** Retry delays as multiples of ORION_WEBHOOK_RETRY_BASE_MS: 5 s … 30 min by default, ~53 min in all. */
export const RETRY_STEPS = [1, 6, 24, 60, 180, 360];

/**
 * What an attempt's outcome means after `retries` earlier retries: the metric's label, and the
 * delay before the next attempt (undefined when there is none: delivered, refused or given up).
 */
export function afterAttempt(
  outcome: DeliveryOutcome,
  retries: number,
  retryBaseMs: number,
): { label: "delivered" | "refused" | "retried" | "gave_up"; retryInMs: number | undefined } {
  if (outcome !== "retry") return { label: outcome, retryInMs: undefined };
  const step = RETRY_STEPS[retries];
  return step === undefined
    ? { label: "gave_up", retryInMs: undefined }
    : { label: "retried", retryInMs: step * retryBaseMs };
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the secret's bytes. */
export function signature(secret: Uint8Array, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac("sha256", secret).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

/**
 * One attempt: the URL guard again (DNS may have changed since submit), then a POST to exactly the
 * address checked, within the deadline. 2xx is delivered; a refused address will not change
 * ("refused"); anything else (non-2xx, timeout, network) is retried.
 */
export async function deliverOnce(
  hook: Webhook,
  secret: Uint8Array,
  policy: FetchPolicy,
  timeoutMs: number,
): Promise<{ outcome: DeliveryOutcome; detail: string }> {
  let target: Awaited<ReturnType<typeof checkUrl>>;
  try {
    target = await checkUrl(hook.url, policy);
  } catch (error) {
    if (error instanceof FetchRefused && error.kind !== "network")
      return { outcome: "refused", detail: error.message };
    return { outcome: "retry", detail: (error as Error).message };
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    "content-type": "application/json",
    "user-agent": "orion-server",
    "webhook-id": hook.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature(secret, hook.id, timestamp, hook.body),
  };
  return new Promise((resolve) => {
    const client = target.url.protocol === "https:" ? https : http;
    let settled = false;
    const finish = (outcome: DeliveryOutcome, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ outcome, detail });
    };
    const req = client.request(target.url, {
      method: "POST",
      headers: { ...headers, "content-length": Buffer.byteLength(hook.body) },
      lookup: (_host, _options, callback) => callback(null, target.address, target.family),
    });
    const timer = setTimeout(() => finish("retry", `no answer within ${timeoutMs} ms`), timeoutMs);
    req.on("error", (error) => finish("retry", error.message));
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      res.on("end", () =>
        finish(status >= 200 && status < 300 ? "delivered" : "retry", `answered ${status}`),
      );
      res.on("error", (error) => finish("retry", error.message));
    });
    req.end(hook.body);
  });
}

/** Sends webhooks and retries them; never awaited by a run. */
export interface WebhookSender {
  send(hook: Webhook): Promise<void>;
  close(timeoutMs: number): Promise<void>;
}

/**
 * The in-memory store's sender (`ORION_DATA_DIR=:memory:`, where nothing outlives the process
 * anyway): attempts and retries on timers in this process. The durable embedded store keeps its
 * deliveries in its file (durable-webhooks.ts), Redis in BullMQ (redis-webhooks.ts).
 */
export class InProcessWebhooks implements WebhookSender {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly config: ExecutionConfig,
    private readonly policy: FetchPolicy,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  async send(hook: Webhook): Promise<void> {
    this.attempt(hook, 0);
  }

  private attempt(hook: Webhook, retries: number): void {
    const secret = this.config.webhookSecret;
    if (!secret || this.closed) return;
    void deliverOnce(hook, secret, this.policy, this.config.webhookTimeoutMs).then(({ outcome, detail }) => {
      const { label, retryInMs } = afterAttempt(outcome, retries, this.config.webhookRetryBaseMs);
      this.metrics.webhookDeliveries.inc({ outcome: label });
      if (outcome !== "delivered") {
        this.logger.warn({ webhook_id: hook.id, outcome: label, detail }, "webhook not delivered");
      }
      if (retryInMs === undefined || this.closed) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.attempt(hook, retries + 1);
      }, retryInMs);
      timer.unref();
      this.timers.add(timer);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
  }
}
