import { Code } from "@connectrpc/connect";
import { QuotaFailureSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { QuotaConfig } from "../config.js";
import { guardStore, Reason, reasonError, storeUnavailableError } from "../errors.js";
import type { Caller } from "../identity/caller.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { type Store, StoreUnavailable } from "../store/store.js";

/** A charged request: headers to return, and the refund for a failure before any output. */
export interface Admission {
  headers: Record<string, string>;
  refund(): Promise<void>;
}

const FREE: Admission = { headers: {}, refund: async () => {} };
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

interface Window {
  policy: string;
  key: string;
  limit: number;
  windowSeconds: number;
  expireAt: number;
  subject: string;
  /** The per-address backstop for guests, counted in the same store call. */
  also?: { key: string; limit: number; subject: string };
}

/** The UTC day of a time as YYYY-MM-DD; the last one is kept (formatting a Date showed in profiles). */
let lastDay = { index: Number.NaN, text: "" };
function utcDay(ms: number): string {
  const index = Math.floor(ms / DAY_MS);
  if (index !== lastDay.index) lastDay = { index, text: new Date(index * DAY_MS).toISOString().slice(0, 10) };
  return lastDay.text;
}

/** The window a caller is counted in right now, or undefined when nothing limits it. */
export function windowOf(caller: Caller, config: QuotaConfig, now = Date.now()): Window | undefined {
  if (caller.kind === "guest") {
    const day = utcDay(now);
    const window = {
      policy: "guest-daily",
      key: `guest:${caller.id}:${day}`,
      limit: config.guestDailyLimit,
      windowSeconds: DAY_MS / 1000,
      expireAt: (Math.floor(now / DAY_MS) + 1) * DAY_MS,
      subject: `guest:${caller.id}`,
    };
    if (config.guestIpDailyLimit === 0) return window;
    // One atomic call counts both, so on Redis Cluster they share the day's hash tag.
    return {
      ...window,
      key: `guest:{gd:${day}}:${caller.id}`,
      also: {
        key: `guest-ip:{gd:${day}}:${caller.ip}`,
        limit: config.guestIpDailyLimit,
        subject: `guest-ip:${caller.ip}`,
      },
    };
  }
  if (caller.kind === "api_key" && caller.requestsPerMinute !== undefined) {
    const minute = Math.floor(now / MINUTE_MS);
    return {
      policy: "key-minute",
      key: `rpm:${caller.keyId}:${minute}`,
      limit: caller.requestsPerMinute,
      windowSeconds: MINUTE_MS / 1000,
      expireAt: (minute + 1) * MINUTE_MS,
      subject: `api_key:${caller.keyId}`,
    };
  }
  return undefined;
}

/** The guest-address backstop of a window, as a window of its own (what its 429 and GetQuota report). */
function addressWindow(w: Window & { also: NonNullable<Window["also"]> }): Window {
  return {
    ...w,
    policy: "guest-address-daily",
    key: w.also.key,
    limit: w.also.limit,
    subject: w.also.subject,
    also: undefined,
  };
}

/** RateLimit-Policy / RateLimit (IETF httpapi draft, structured fields). */
function rateLimitHeaders(w: Window, remaining: number, resetSeconds: number): Record<string, string> {
  return {
    "ratelimit-policy": `"${w.policy}";q=${w.limit};w=${w.windowSeconds}`,
    ratelimit: `"${w.policy}";r=${Math.max(remaining, 0)};t=${resetSeconds}`,
  };
}

/**
 * Guest daily chats and API-key requests per minute, each decided by one atomic store call.
 * Rejected attempts are not counted; a failure before any output is refunded.
 */
export class Quota {
  constructor(
    private readonly store: Store,
    private readonly config: QuotaConfig,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  async admit(caller: Caller): Promise<Admission> {
    const w = windowOf(caller, this.config);
    if (!w) return FREE;
    let result: Awaited<ReturnType<Store["consume"]>>;
    try {
      result = await this.store.consume(w.key, w.limit, w.expireAt, w.also);
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      // Guests follow the configured policy; keys are authenticated, so their rpm fails open.
      const open = caller.kind !== "guest" || this.config.failureMode === "open";
      this.metrics.quotaDecisions.inc({ caller: caller.kind, decision: open ? "fail_open" : "fail_closed" });
      this.logger.warn({ err: error.message, caller: caller.kind, open }, "quota store unavailable");
      if (open) return FREE;
      throw storeUnavailableError("quota store");
    }
    // A counter refused before it ever existed (the address backstop) resets with its window.
    const resetSeconds = Math.ceil((result.resetMs || Math.max(w.expireAt - Date.now(), 0)) / 1000);
    if (!result.allowed) {
      const byAddress = result.refusedBy === "also" && w.also !== undefined;
      // The limit that refused is the one reported: its own policy, limit and nothing remaining.
      const refusing = byAddress && w.also ? addressWindow({ ...w, also: w.also }) : w;
      const headers = rateLimitHeaders(refusing, byAddress ? 0 : w.limit - result.count, resetSeconds);
      // The guest-address backstop (ORION_GUEST_IP_DAILY_LIMIT) is told apart from the browser quota.
      this.metrics.quotaDecisions.inc({
        caller: caller.kind,
        decision: byAddress ? "rejected_address" : "rejected",
      });
      const what = byAddress
        ? `${w.also?.limit} guest chats per day from one address`
        : caller.kind === "guest"
          ? `${w.limit} chats per day for guests`
          : `${w.limit} requests per minute`;
      throw reasonError(
        Code.ResourceExhausted,
        caller.kind === "guest" ? Reason.quotaExceeded : Reason.rateLimited,
        `limit reached: ${what}${caller.kind === "guest" ? "; sign in or use an API key for more" : ""}`,
        {
          retryAfterSeconds: resetSeconds,
          metadata: { ...headers, limit: String(refusing.limit) },
          details: [
            {
              desc: QuotaFailureSchema,
              value: {
                violations: [
                  {
                    subject: refusing.subject,
                    description: `${what} (resets in ${resetSeconds} s)`,
                  },
                ],
              },
            },
          ],
        },
      );
    }
    this.metrics.quotaDecisions.inc({ caller: caller.kind, decision: "allowed" });
    return {
      headers: rateLimitHeaders(w, w.limit - result.count, resetSeconds),
      refund: async () => {
        try {
          await this.store.refund(w.key, w.also?.key);
        } catch (error) {
          this.logger.warn({ err: (error as Error).message }, "quota refund failed");
        }
      },
    };
  }

  /** What GetQuota reports: the caller's allowance right now. */
  async status(caller: Caller) {
    const w = windowOf(caller, this.config);
    const base = {
      callerKind: caller.kind,
      plan: caller.kind === "api_key" ? caller.plan : caller.kind === "user" ? "signed-in" : "guest",
    };
    if (!w) return base;
    const resetsAt = { seconds: BigInt(Math.floor(w.expireAt / 1000)), nanos: 0 };
    if (caller.kind === "guest") {
      const { limit, used } = await this.tighterOf(w);
      return {
        ...base,
        dailyLimit: limit,
        usedToday: used,
        remainingToday: Math.max(limit - used, 0),
        resetsAt,
      };
    }
    return { ...base, requestsPerMinute: w.limit, resetsAt };
  }

  /**
   * A guest's browser quota, or the address backstop when that leaves fewer chats: what the
   * guest can really still do today.
   */
  private async tighterOf(w: Window): Promise<{ limit: number; used: number }> {
    const windows = w.also ? [w, addressWindow({ ...w, also: w.also })] : [w];
    const states = await guardStore("quota store", () =>
      Promise.all(windows.map((x) => this.store.peek(x.key))),
    );
    const allowances = windows.map((x, i) => ({ limit: x.limit, used: states[i]?.count ?? 0 }));
    return allowances.reduce((a, b) => (b.limit - b.used < a.limit - a.used ? b : a));
  }
}
