import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { MAX_BATCH_BYTES, NO_EVENTS } from "../../src/store/sqlite-writes.js";

const CHUNK = 1024 * 1024;

describe("the durable store's group commit under many concurrent uploads", () => {
  it("commits at most MAX_BATCH_BYTES of file chunks per turn, letting other work run between", async () => {
    const store = new SqliteStore({
      dir: mkdtempSync(join(tmpdir(), "orion-attack-")),
      busyTimeoutMs: 2_000,
      maxSessions: 1_000,
      maxSessionBytes: 1 << 30,
      maxArtifactBytes: 1 << 20,
    });
    const batches: number[] = [];
    store.observe({ ...NO_EVENTS, batch: (writes) => batches.push(writes) });
    const files = store.files();
    const data = new Uint8Array(CHUNK).fill(7);
    // Sixty uploads flushing a chunk in the same turn (what 60 concurrent POST /v1/files do).
    let between = 0;
    const ticker = setInterval(() => between++, 0);
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => files.putChunk(`file-${i}`, 0, data, Date.now() + 60_000)),
    );
    clearInterval(ticker);
    expect(Math.max(...batches)).toBeLessThanOrEqual(MAX_BATCH_BYTES / CHUNK);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(60);
    // Timers ran between the commits: the 60 MiB were not written in one turn.
    expect(between).toBeGreaterThan(1);
    for (let i = 0; i < 60; i++) expect((await files.getChunk(`file-${i}`, 0))?.byteLength).toBe(CHUNK);
    await store.close();
  });

  it("still commits everything queued when the store closes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orion-attack-"));
    const options = {
      dir,
      busyTimeoutMs: 2_000,
      maxSessions: 1_000,
      maxSessionBytes: 1 << 30,
      maxArtifactBytes: 1 << 20,
    };
    const store = new SqliteStore(options);
    const data = new Uint8Array(CHUNK).fill(3);
    const writes = Array.from({ length: 12 }, (_, i) =>
      store.files().putChunk(`f-${i}`, 0, data, Date.now() + 60_000),
    );
    await store.close();
    await Promise.all(writes);
    const again = new SqliteStore(options);
    for (let i = 0; i < 12; i++) expect((await again.files().getChunk(`f-${i}`, 0))?.byteLength).toBe(CHUNK);
    await again.close();
  });
});
