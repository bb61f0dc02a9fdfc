import { Code } from "@connectrpc/connect";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { QuotaFailureSchema } from "../../gen/google/rpc/error_details_pb.js";
import { loadConfig } from "../../src/config.js";
import { errorFacts, Reason } from "../../src/errors.js";
import type { Caller } from "../../src/identity/caller.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { Quota, windowOf } from "../../src/quota/quota.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import type { Store } from "../../src/store/store.js";
import { connectErrorOf } from "../support/connect-error.js";
import { failingStore } from "../support/failing-store.js";

// Quota driven directly over a real MemoryStore: no HTTP, no service. The clock is held at noon
// UTC, so a guest's day has exactly 43,200 s left.

const NOON = Date.UTC(2030, 0, 15, 12, 0, 0);
const guest = (id: string, ip = "203.0.113.7"): Caller => ({ kind: "guest", id, ip });
const apiKey = (requestsPerMinute: number | undefined): Caller => ({
  kind: "api_key",
  id: "u1",
  keyId: "key_1",
  plan: "starter",
  requestsPerMinute,
});

function quotaOf(env: Record<string, string>, store: Store = new MemoryStore()) {
  const config = loadConfig(env).quota;
  const metrics = createMetrics();
  return { quota: new Quota(store, config, metrics, pino({ level: "silent" })), config, store, metrics };
}

/** The refusal `admit` throws, with what it carries. */
async function refusal(admitted: Promise<unknown>) {
  const connect = await connectErrorOf(admitted);
  return { error: connect, facts: errorFacts(connect), failure: connect.findDetails(QuotaFailureSchema)[0] };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOON);
});
afterEach(() => vi.useRealTimers());

describe("Quota, driven directly", () => {
  it("admits a guest exactly the daily limit, then refuses with retry-after and RateLimit metadata", async () => {
    const { quota, config, store } = quotaOf({ ORION_GUEST_DAILY_LIMIT: "3" });
    const caller = guest("browser-a");
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) remaining.push((await quota.admit(caller)).headers.ratelimit as string);
    expect(remaining).toEqual([
      '"guest-daily";r=2;t=43200',
      '"guest-daily";r=1;t=43200',
      '"guest-daily";r=0;t=43200',
    ]);

    const { error, facts, failure } = await refusal(quota.admit(caller));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(facts.reason).toBe(Reason.quotaExceeded);
    expect(facts.retryAfterSeconds).toBe(43_200);
    expect(facts.metadata).toEqual({
      "ratelimit-policy": '"guest-daily";q=3;w=86400',
      ratelimit: '"guest-daily";r=0;t=43200',
      limit: "3",
    });
    expect(failure?.violations[0]?.subject).toBe("guest:browser-a");
    // A refusal is not counted, and another browser has its own allowance.
    expect((await store.peek(windowOf(caller, config)?.key as string)).count).toBe(3);
    await expect(quota.admit(guest("browser-b"))).resolves.toBeDefined();
  });

  it("stops guests of one address at the backstop, whatever their browser ids", async () => {
    const { quota } = quotaOf({ ORION_GUEST_DAILY_LIMIT: "10", ORION_GUEST_IP_DAILY_LIMIT: "2" });
    await quota.admit(guest("a"));
    await quota.admit(guest("b"));
    const { error, facts, failure } = await refusal(quota.admit(guest("c")));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(facts.reason).toBe(Reason.quotaExceeded);
    expect(facts.metadata).toMatchObject({
      "ratelimit-policy": '"guest-address-daily";q=2;w=86400',
      ratelimit: '"guest-address-daily";r=0;t=43200',
      limit: "2",
    });
    expect(failure?.violations[0]?.subject).toBe("guest-ip:203.0.113.7");
    // Another address is not held back by this one.
    await expect(quota.admit(guest("c", "198.51.100.9"))).resolves.toBeDefined();
  });

  it("limits an API key per minute, and not at all without a limit", async () => {
    vi.setSystemTime(NOON + 15_000);
    const { quota } = quotaOf({});
    const key = apiKey(2);
    expect((await quota.admit(key)).headers).toEqual({
      "ratelimit-policy": '"key-minute";q=2;w=60',
      ratelimit: '"key-minute";r=1;t=45',
    });
    await quota.admit(key);
    const { error, facts, failure } = await refusal(quota.admit(key));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(facts.reason).toBe(Reason.rateLimited);
    expect(facts.retryAfterSeconds).toBe(45);
    expect(failure?.violations[0]?.subject).toBe("api_key:key_1");
    // The next minute is a new window.
    vi.setSystemTime(NOON + 60_000);
    await expect(quota.admit(key)).resolves.toBeDefined();

    const unlimited = apiKey(undefined);
    for (let i = 0; i < 50; i++) expect((await quota.admit(unlimited)).headers).toEqual({});
  });

  it("fails closed for guests by default, open when configured, and always open for keys", async () => {
    const closed = failingStore(new MemoryStore());
    closed.state.down = true;
    const { quota: strict, metrics } = quotaOf({}, closed.store);
    const { error, facts } = await refusal(strict.admit(guest("a")));
    expect(error.code).toBe(Code.Unavailable);
    expect(facts.reason).toBe(Reason.storeUnavailable);
    expect((await strict.admit(apiKey(2))).headers).toEqual({});
    const decisions = (await metrics.quotaDecisions.get()).values.map((v) => v.labels.decision);
    expect(decisions.sort()).toEqual(["fail_closed", "fail_open"]);

    const open = failingStore(new MemoryStore());
    open.state.down = true;
    const { quota: lenient } = quotaOf({ ORION_QUOTA_FAILURE_MODE: "open" }, open.store);
    const admitted = await lenient.admit(guest("a"));
    expect(admitted.headers).toEqual({});
  });

  it("refunds one chat per failure, never below zero, and survives a store that cannot refund", async () => {
    const { state, store } = failingStore(new MemoryStore());
    const { quota, config } = quotaOf(
      { ORION_GUEST_DAILY_LIMIT: "2", ORION_GUEST_IP_DAILY_LIMIT: "5" },
      store,
    );
    const caller = guest("a");
    const w = windowOf(caller, config);
    const counts = async () => [
      (await store.peek(w?.key as string)).count,
      (await store.peek(w?.also?.key as string)).count,
    ];
    const admission = await quota.admit(caller);
    expect(await counts()).toEqual([1, 1]);
    await admission.refund();
    expect(await counts()).toEqual([0, 0]);
    await admission.refund();
    expect(await counts()).toEqual([0, 0]);

    // The allowance is whole again: exactly two more.
    await quota.admit(caller);
    const second = await quota.admit(caller);
    await refusal(quota.admit(caller));
    state.down = true;
    await expect(second.refund()).resolves.toBeUndefined();
  });
});
