import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { SqliteWebhooks } from "../../src/store/sqlite-webhooks.js";

// Two stores on one file stand for two server processes on one data directory.

const opened: SqliteStore[] = [];
let clock = 1_000_000;
const now = () => clock;

function openTwo() {
  const dir = mkdtempSync(join(tmpdir(), "orion-hooks-"));
  const stores = [0, 1].map(
    () =>
      new SqliteStore({
        dir,
        busyTimeoutMs: 2_000,
        maxSessions: 100,
        maxSessionBytes: 1 << 20,
        maxArtifactBytes: 1 << 20,
      }),
  );
  opened.push(...stores);
  return stores.map((s) => new SqliteWebhooks(s.shared(), now)) as [SqliteWebhooks, SqliteWebhooks];
}

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

const hook = { id: "msg_1", url: "http://127.0.0.1:1/hook", body: '{"id":"1"}' };

describe("webhook deliveries in the durable embedded store", () => {
  it("a due delivery is taken by one process only, until its lease lapses", async () => {
    const [a, b] = openTwo();
    await a.add(hook);
    await a.add({ ...hook, body: "changed" }); // queued once, as first made
    const taken = await a.claimDue("a", 5_000, 10);
    expect(taken).toEqual([{ ...hook, attempt: 0 }]);
    expect(await b.claimDue("b", 5_000, 10)).toEqual([]);
    clock += 5_000;
    expect(await b.claimDue("b", 5_000, 10)).toEqual([{ ...hook, attempt: 0 }]);
    expect(await a.reschedule(hook.id, "a", 1, 1_000)).toBe(false); // lost its lease
  });

  it("a failed attempt waits for its backoff; a delivered one is gone", async () => {
    const [a, b] = openTwo();
    await a.add(hook);
    await a.claimDue("a", 5_000, 10);
    expect(await a.reschedule(hook.id, "a", 1, 1_500)).toBe(true);
    expect(await b.nextDueIn()).toBe(1_500);
    expect(await b.claimDue("b", 5_000, 10)).toEqual([]);
    clock += 1_500;
    const [retry] = await b.claimDue("b", 5_000, 10);
    expect(retry).toEqual({ ...hook, attempt: 1 });
    await b.remove(hook.id, "b");
    expect(await a.nextDueIn()).toBeUndefined();
  });

  it("takes at most the batch asked for, oldest due first", async () => {
    const [a] = openTwo();
    for (let i = 0; i < 5; i++) {
      await a.add({ ...hook, id: `msg_${i}` });
      clock += 1;
    }
    const first = await a.claimDue("a", 5_000, 3);
    expect(first.map((h) => h.id)).toEqual(["msg_0", "msg_1", "msg_2"]);
    expect((await a.claimDue("a", 5_000, 3)).map((h) => h.id)).toEqual(["msg_3", "msg_4"]);
    expect(await a.claimDue("a", 5_000, 0)).toEqual([]);
  });
});
