import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { SqliteStore } from "../../src/store/sqlite-store.js";
import { holdWriteLock } from "../support/lock-holder.js";
import { startServer } from "../support/server.js";

const metricsOf = async (url: string) => (await fetch(`${url}/metrics`)).text();

/** The value of a sample line `name` (with its labels, if any) in a Prometheus text page. */
function sample(page: string, name: string): number {
  const line = page.split("\n").find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no sample ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

async function chat(url: string) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-browser-id": "metrics-guest" },
    body: JSON.stringify({ messages: [{ role: "user", content: "hello" }], session_id: "m" }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe("the durable store in /metrics", () => {
  it("counts group commits, lock waits, housekeeping and faults, and reads the file size at each scrape", async () => {
    const server = await startServer({ ORION_STORE_TIMEOUT_MS: "300" });
    try {
      const before = await metricsOf(server.url);
      expect(sample(before, "orion_store_busy_retries_total")).toBe(0);
      for (let i = 0; i < 3; i++) expect(await chat(server.url)).toBe(200);
      const lock = await holdWriteLock(join(server.app.config.store.dataDir, "orion.db"));
      expect(await chat(server.url)).toBe(503);
      await lock.release();
      await (server.app.store as SqliteStore).housekeeping();

      const page = await metricsOf(server.url);
      // A guest chat with a session commits its quota count and then its turn.
      expect(sample(page, "orion_store_write_batch_seconds_count")).toBeGreaterThanOrEqual(6);
      expect(sample(page, "orion_store_write_batch_writes_sum")).toBeGreaterThanOrEqual(6);
      expect(sample(page, "orion_store_busy_retries_total")).toBeGreaterThan(0);
      expect(sample(page, 'orion_store_faults_total{fault="locked"}')).toBe(1);
      expect(sample(page, "orion_store_housekeeping_seconds_count")).toBe(1);
      const fileBytes = sample(page, "orion_store_file_bytes");
      expect(fileBytes).toBe((server.app.store as SqliteStore).fileBytes());
      expect(fileBytes).toBeGreaterThan(4096);
    } finally {
      await server.close();
    }
  }, 30_000);
});
