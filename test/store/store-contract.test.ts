import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/store/memory-store.js";
import { contractStores, STORE_KINDS } from "../support/contract-stores.js";

const storeOf = contractStores("contract:", 1_000);
const kinds = STORE_KINDS;
const limits = { ttlMs: 60_000, maxEntries: 5, maxBytes: 1_000_000 };

describe.each(kinds)("the Store contract on %s", (kind) => {
  const store = () => storeOf(kind);
  const key = () => `k-${randomUUID()}`;

  it("consumes up to the limit, then refuses without counting the refusals", async () => {
    const k = key();
    const expireAt = Date.now() + 60_000;
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await store().consume(k, 3, expireAt));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
    expect(results.map((r) => r.count)).toEqual([1, 2, 3, 3, 3]);
    expect(results[0]?.resetMs).toBeGreaterThan(50_000);
    expect((await store().peek(k)).count).toBe(3);
  });

  it("refuses everything at a limit of 0, counting nothing", async () => {
    const k = key();
    const refused = await store().consume(k, 0, Date.now() + 60_000);
    expect(refused).toMatchObject({ allowed: false, count: 0, refusedBy: "key" });
    expect((await store().peek(k)).count).toBe(0);
  });

  it("is exact under concurrency", async () => {
    const k = key();
    const results = await Promise.all(
      Array.from({ length: 100 }, () => store().consume(k, 10, Date.now() + 60_000)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
  });

  it("refunds, never below zero", async () => {
    const k = key();
    await store().consume(k, 5, Date.now() + 60_000);
    await store().refund(k);
    await store().refund(k);
    expect((await store().peek(k)).count).toBe(0);
    expect((await store().consume(k, 1, Date.now() + 60_000)).allowed).toBe(true);
  });

  it("counts a second counter in the same step: both or neither, and refunds both", async () => {
    // On a Cluster the two keys share a hash tag, as the guest quota's keys do.
    const tag = `{day-${randomUUID()}}`;
    const shared = `ip:${tag}`;
    const expireAt = Date.now() + 60_000;
    const browsers = [`b1:${tag}`, `b2:${tag}`, `b3:${tag}`];
    const first = await store().consume(browsers[0] as string, 5, expireAt, { key: shared, limit: 2 });
    expect(first).toMatchObject({ allowed: true, count: 1 });
    expect(
      (await store().consume(browsers[1] as string, 5, expireAt, { key: shared, limit: 2 })).allowed,
    ).toBe(true);
    const third = await store().consume(browsers[2] as string, 5, expireAt, { key: shared, limit: 2 });
    expect(third).toMatchObject({ allowed: false, count: 0, refusedBy: "also" });
    expect((await store().peek(browsers[2] as string)).count).toBe(0);
    expect((await store().peek(shared)).count).toBe(2);
    const full = `full:${tag}`;
    await store().consume(full, 1, expireAt);
    const refused = await store().consume(full, 1, expireAt, { key: shared, limit: 10 });
    expect(refused).toMatchObject({ allowed: false, refusedBy: "key" });
    expect((await store().peek(shared)).count).toBe(2);
    await store().refund(browsers[0] as string, shared);
    expect((await store().peek(browsers[0] as string)).count).toBe(0);
    expect((await store().peek(shared)).count).toBe(1);
  });

  it("expires counters at the given time", async () => {
    const k = key();
    await store().consume(k, 1, Date.now() + 150);
    expect((await store().consume(k, 1, Date.now() + 150)).allowed).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    expect((await store().consume(k, 1, Date.now() + 150)).allowed).toBe(true);
  });

  it("appends sessions in order, keeps the newest entries and guards the owner", async () => {
    const id = randomUUID();
    expect(await store().appendSession(id, "alice", ["1", "2"], limits)).toBe("ok");
    expect(await store().appendSession(id, "alice", ["3", "4", "5", "6"], limits)).toBe("ok");
    expect(await store().appendSession(id, "mallory", ["x"], limits)).toBe("forbidden");
    const session = await store().readSession(id);
    expect(session?.owner).toBe("alice");
    expect(session?.entries).toEqual(["2", "3", "4", "5", "6"]);
    expect(session?.updatedAt).toBeGreaterThanOrEqual(session?.createdAt ?? Number.POSITIVE_INFINITY);
    expect(await store().deleteSession(id)).toBe(true);
    expect(await store().readSession(id)).toBeUndefined();
    expect(await store().deleteSession(id)).toBe(false);
  });

  it("drops the oldest entries while a session's UTF-8 bytes are over its cap", async () => {
    const id = randomUUID();
    const bounded = { ...limits, maxEntries: 100, maxBytes: 10 };
    await store().appendSession(id, "dana", ["aaaa", "bbbb"], bounded);
    expect((await store().readSession(id))?.entries).toEqual(["aaaa", "bbbb"]);
    // "é" is two bytes in UTF-8: 4 + 4 + 4 = 12 > 10, so "aaaa" goes.
    await store().appendSession(id, "dana", ["éé"], bounded);
    expect((await store().readSession(id))?.entries).toEqual(["bbbb", "éé"]);
    // One entry over the cap alone is not kept either: a session never holds more than its cap.
    await store().appendSession(id, "dana", ["x".repeat(11)], bounded);
    expect((await store().readSession(id))?.entries).toEqual([]);
    await store().appendSession(id, "dana", ["cc"], bounded);
    expect((await store().readSession(id))?.entries).toEqual(["cc"]);
  });

  it("loses no concurrent appends to one session", async () => {
    const id = randomUUID();
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store().appendSession(id, "bob", [`m${i}`], { ...limits, maxEntries: 100 }),
      ),
    );
    const entries = (await store().readSession(id))?.entries ?? [];
    expect(entries).toHaveLength(40);
    expect(new Set(entries).size).toBe(40);
  });

  it("expires sessions after their TTL", async () => {
    const id = randomUUID();
    await store().appendSession(id, "carol", ["a"], { ...limits, ttlMs: 1_000 });
    expect(await store().readSession(id)).toBeDefined();
    // Polled with a wide margin: a fixed 100 ms past the TTL is not enough on a busy machine.
    await expect.poll(() => store().readSession(id), { timeout: 5_000, interval: 100 }).toBeUndefined();
  });

  it("keeps records only if absent, with a TTL", async () => {
    const k = key();
    expect(await store().putIfAbsent(k, "first", 60_000)).toBe(true);
    expect(await store().putIfAbsent(k, "second", 60_000)).toBe(false);
    expect(await store().get(k)).toBe("first");
    expect(await store().get(key())).toBeUndefined();
    await store().put(k, "third", 60_000);
    expect(await store().get(k)).toBe("third");
    await store().remove(k);
    expect(await store().get(k)).toBeUndefined();
  });

  it("keeps binary artifacts per scope", async () => {
    const scope = key();
    const bytes = new Uint8Array([0, 255, 137, 80, 78, 71, 13, 10]);
    await store().putArtifact(scope, "img_a1b2c3", '{"contentType":"image/png"}', bytes, 60_000);
    await store().putArtifact(
      scope,
      "doc_000001",
      '{"contentType":"application/pdf"}',
      new Uint8Array([37]),
      60_000,
    );
    const got = await store().getArtifact(scope, "img_a1b2c3");
    expect(got?.meta).toBe('{"contentType":"image/png"}');
    expect([...(got?.data ?? [])]).toEqual([...bytes]);
    expect(Object.keys(await store().listArtifacts(scope)).sort()).toEqual(["doc_000001", "img_a1b2c3"]);
    expect(await store().getArtifact(key(), "img_a1b2c3")).toBeUndefined();
    expect(await store().listArtifacts(key())).toEqual({});
  });

  it("keeps a small map", async () => {
    const m = key();
    await store().mapSet(m, "a", "1");
    await store().mapSet(m, "b", "2");
    expect(await store().mapGet(m, "a")).toBe("1");
    expect(await store().mapEntries(m)).toEqual({ a: "1", b: "2" });
    expect(await store().mapDelete(m, "a")).toBe(true);
    expect(await store().mapDelete(m, "a")).toBe(false);
    expect(await store().mapEntries(m)).toEqual({ b: "2" });
  });

  it("answers ping", async () => {
    await expect(store().ping()).resolves.toBeUndefined();
  });
});

describe("the embedded store stays bounded", () => {
  const roomy = {
    maxSessions: 10,
    maxSessionBytes: 1_000_000,
    maxRecordBytes: 1_000_000,
    maxArtifactBytes: 1_000_000,
  };

  it("evicts the least recently written sessions past its byte limit, and reports its bytes", async () => {
    const store = new MemoryStore(Date.now, { ...roomy, maxSessionBytes: 1_000 });
    await store.appendSession("a", "o", ["x".repeat(400)], limits);
    await store.appendSession("b", "o", ["y".repeat(400)], limits);
    expect(store.usage().sessions).toBe(800);
    await store.appendSession("a", "o", ["z".repeat(100)], limits); // a is now the most recent
    await store.appendSession("c", "o", ["w".repeat(300)], limits);
    expect(await store.readSession("b")).toBeUndefined();
    expect((await store.readSession("a"))?.entries).toHaveLength(2);
    expect(await store.readSession("c")).toBeDefined();
    expect(store.usage().sessions).toBe(800);
    await store.deleteSession("a");
    expect(store.usage().sessions).toBe(300);
    await store.close();
  });

  it("evicts the oldest records past its byte limit", async () => {
    const store = new MemoryStore(Date.now, { ...roomy, maxRecordBytes: 1_000 });
    await store.put("r1", "x".repeat(600), 60_000);
    await store.put("r2", "y".repeat(600), 60_000);
    expect(await store.get("r1")).toBeUndefined();
    expect(await store.get("r2")).toBeDefined();
    expect(store.usage().records).toBe(600);
    await store.close();
  });

  it("evicts the least recently used sessions past its limit", async () => {
    const store = new MemoryStore(Date.now, { ...roomy, maxSessions: 3 });
    for (const id of ["a", "b", "c"]) await store.appendSession(id, "o", ["x"], limits);
    await store.appendSession("a", "o", ["y"], limits); // a is now the most recent
    await store.appendSession("d", "o", ["x"], limits);
    expect(await store.readSession("b")).toBeUndefined();
    expect((await store.readSession("a"))?.entries).toEqual(["x", "y"]);
    expect(await store.readSession("d")).toBeDefined();
    await store.close();
  });

  it("evicts the oldest artifact scopes past its byte limit", async () => {
    const store = new MemoryStore(Date.now, { ...roomy, maxArtifactBytes: 1_000 });
    await store.putArtifact("s1", "img_000001", "{}", new Uint8Array(600), 60_000);
    await store.putArtifact("s2", "img_000002", "{}", new Uint8Array(600), 60_000);
    expect(await store.getArtifact("s1", "img_000001")).toBeUndefined();
    expect(await store.getArtifact("s2", "img_000002")).toBeDefined();
    await store.close();
  });
});
