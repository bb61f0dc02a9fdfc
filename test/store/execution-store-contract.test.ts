import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutionStore } from "../../src/store/execution-store.js";
import { MemoryExecutions } from "../../src/store/memory-executions.js";
import { RedisExecutions } from "../../src/store/redis-executions.js";
import { SqliteExecutions } from "../../src/store/sqlite-executions.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { type PrivateCluster, type PrivateRedis, startRedis, startRedisCluster } from "../support/redis.js";

let redis: PrivateRedis;
let cluster: PrivateCluster;
let sqlite: SqliteStore;
const stores: Record<string, ExecutionStore> = {};
const MAX_EVENTS = 6;

beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  const redisOptions = {
    prefix: "xcontract:",
    commandTimeoutMs: 1_000,
    pollMs: 1_000,
    maxEvents: MAX_EVENTS,
  };
  stores.memory = new MemoryExecutions({ maxEvents: MAX_EVENTS });
  sqlite = new SqliteStore({
    dir: mkdtempSync(join(tmpdir(), "orion-xcontract-")),
    busyTimeoutMs: 1_000,
    maxSessions: 50_000,
    maxSessionBytes: 256 * 1024 * 1024,
    maxArtifactBytes: 512 * 1024 * 1024,
  });
  stores.sqlite = new SqliteExecutions(sqlite.shared(), { maxEvents: MAX_EVENTS, pollMs: 200 });
  stores.redis = new RedisExecutions({ ...redisOptions, target: { url: redis.url } });
  stores["redis-cluster"] = new RedisExecutions({ ...redisOptions, target: { clusterNodes: cluster.nodes } });
}, 60_000);

afterAll(async () => {
  for (const store of Object.values(stores)) await store.close();
  await sqlite?.close();
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

const kinds = ["memory", "sqlite", "redis", "redis-cluster"] as const;

function fresh(owner = `owner-${randomUUID()}`, createdAt = Date.now()) {
  const id = randomUUID();
  return { id, owner, createdAt, execution: JSON.stringify({ id }), spec: '{"s":1}' };
}

describe.each(kinds)("the ExecutionStore contract on %s", (kind) => {
  const store = () => stores[kind] as ExecutionStore;

  it("creates pending, starts (counting attempts), and finishes once", async () => {
    const x = fresh();
    await store().create(x, 60_000);
    expect(await store().get(x.id)).toMatchObject({
      status: "pending",
      attempts: 0,
      lastSequence: 0,
      spec: x.spec,
    });
    expect(await store().start(x.id)).toMatchObject({ status: "running", attempts: 1 });
    expect(await store().start(x.id)).toMatchObject({ status: "running", attempts: 2 });
    expect(await store().append(x.id, "a")).toBe(1);
    expect(await store().finish(x.id, "completed", '{"done":true}', "final")).toBe(2);
    // Ended: no second finish, no more events, nothing to start.
    expect(await store().finish(x.id, "failed", "{}", "again")).toBe(0);
    expect(await store().append(x.id, "late")).toBe(0);
    expect(await store().start(x.id)).toBeUndefined();
    const ended = await store().get(x.id);
    expect(ended).toMatchObject({ status: "completed", execution: '{"done":true}', lastSequence: 2 });
    expect((await store().events(x.id, 0, 100)).map((e) => [e.sequence, e.event])).toEqual([
      [1, "a"],
      [2, "final"],
    ]);
  });

  it("takes back a run a stopping process gives up, without counting the attempt", async () => {
    const x = fresh();
    await store().create(x, 60_000);
    await store().handBack(x.id); // pending: nothing to give back
    expect(await store().get(x.id)).toMatchObject({ status: "pending", attempts: 0 });
    await store().start(x.id);
    await store().handBack(x.id);
    expect(await store().get(x.id)).toMatchObject({ status: "pending", attempts: 0 });
    expect(await store().start(x.id)).toMatchObject({ status: "running", attempts: 1 });
    await store().finish(x.id, "completed", "{}", "final");
    await store().handBack(x.id);
    expect(await store().get(x.id)).toMatchObject({ status: "completed" });
  });

  it("numbers events densely, reads from any sequence, and never reuses a number across writers", async () => {
    const x = fresh();
    await store().create(x, 60_000);
    const sequences = await Promise.all([1, 2, 3, 4].map((i) => store().append(x.id, `e${i}`)));
    expect([...sequences].sort()).toEqual([1, 2, 3, 4]);
    expect((await store().events(x.id, 2, 100)).map((e) => e.sequence)).toEqual([3, 4]);
    expect((await store().events(x.id, 1, 2)).map((e) => e.sequence)).toEqual([2, 3]);
    expect(await store().events(x.id, 99, 10)).toEqual([]);
  });

  it("caps the log but always keeps room for the final event", async () => {
    const x = fresh();
    await store().create(x, 60_000);
    const got = [];
    for (let i = 0; i < MAX_EVENTS + 3; i++) got.push(await store().append(x.id, `e${i}`));
    expect(got.filter((s) => s > 0)).toHaveLength(MAX_EVENTS - 1);
    expect(await store().finish(x.id, "cancelled", "{}", "final")).toBe(MAX_EVENTS);
    const events = await store().events(x.id, 0, 100);
    expect(events.at(-1)).toEqual({ sequence: MAX_EVENTS, event: "final" });
  });

  it("lists an owner's executions newest first with skip and limit, and no one else's", async () => {
    const owner = `owner-${randomUUID()}`;
    const now = Date.now();
    const made = [fresh(owner, now - 3000), fresh(owner, now - 2000), fresh(owner, now - 1000)];
    for (const x of made) await store().create(x, 60_000);
    await store().create(fresh(), 60_000);
    const ids = (await store().list(owner, 0, 10)).map((r) => r.id);
    expect(ids).toEqual(made.map((x) => x.id).reverse());
    expect((await store().list(owner, 1, 1)).map((r) => r.id)).toEqual([made[1]?.id]);
    expect(await store().list(`owner-${randomUUID()}`, 0, 10)).toEqual([]);
  });

  it("wakes a watcher when an event is appended, and times out otherwise", async () => {
    const x = fresh();
    await store().create(x, 60_000);
    const signal = new AbortController().signal;
    const idle = performance.now();
    await store().waitForEvents(x.id, 0, 150, signal);
    expect(performance.now() - idle).toBeGreaterThanOrEqual(100);
    const started = performance.now();
    const waiting = store().waitForEvents(x.id, 0, 5_000, signal);
    setTimeout(() => void store().append(x.id, "hello"), 50);
    await waiting;
    expect(performance.now() - started).toBeLessThan(1_500);
    // Already past: returns at once.
    const now = performance.now();
    await store().waitForEvents(x.id, 0, 5_000, signal);
    expect(performance.now() - now).toBeLessThan(100);
  });

  it("forgets an unknown id and drops an execution after its time to live", async () => {
    expect(await store().get(randomUUID())).toBeUndefined();
    expect(await store().start(randomUUID())).toBeUndefined();
    expect(await store().append(randomUUID(), "x")).toBe(0);
    const x = fresh();
    await store().create(x, 50);
    await new Promise((r) => setTimeout(r, 120));
    expect(await store().get(x.id)).toBeUndefined();
    expect(await store().start(x.id)).toBeUndefined();
  });
});

describe.each(["memory", "sqlite"] as const)("leases on %s", (kind) => {
  const leases = () => stores[kind] as unknown as SqliteExecutions;

  it("lets one worker hold an execution until its lease lapses, then another takes it", async () => {
    // Drain whatever earlier tests left open.
    while (await leases().claim("drain", 60_000)) {}
    const x = fresh();
    await stores[kind]?.create(x, 60_000);
    expect(await leases().claim("a", 150)).toBe(x.id);
    expect(await leases().claim("b", 150)).toBeUndefined();
    expect(await leases().renew(x.id, "a", 150)).toBe(true);
    expect(await leases().renew(x.id, "b", 150)).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(await leases().claim("b", 150)).toBe(x.id);
    expect(await leases().renew(x.id, "a", 150)).toBe(false);
    await stores[kind]?.finish(x.id, "completed", "{}", "final");
    await leases().release(x.id, "b");
    expect(await leases().claim("c", 150)).toBeUndefined();
  });
});
