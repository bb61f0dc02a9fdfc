// A separate process that opens a store the moment a start file appears (so several open one fresh
// data directory within a millisecond of each other), writes one session, and prints "ok" or why
// it could not. For the store's test of processes creating its schema at once.
import { existsSync } from "node:fs";
import { SqliteStore } from "../../src/store/sqlite-store.js";

const [dir, startFile] = process.argv.slice(2) as [string, string];
process.stdout.write("ready\n");
const tick = new Int32Array(new SharedArrayBuffer(4));
while (!existsSync(startFile)) Atomics.wait(tick, 0, 0, 1);
try {
  const store = new SqliteStore({
    dir,
    busyTimeoutMs: 5_000,
    maxSessions: 1_000,
    maxSessionBytes: 1 << 30,
    maxArtifactBytes: 1 << 20,
  });
  await store.appendSession(`s-${process.pid}`, "alice", ["hello"], {
    ttlMs: 60_000,
    maxEntries: 10,
    maxBytes: 1 << 20,
  });
  await store.close();
  process.stdout.write("ok\n");
} catch (error) {
  process.stdout.write(`failed: ${(error as Error).message}\n`);
}
