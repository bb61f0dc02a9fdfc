// Durable executions bench, on a private redis-server and a fresh embedded data directory:
//  1. submit latency (POST /v1/agent/execute, one at a time, real server process): p50 and p99,
//     on the embedded store and on Redis;
//  2. the event log with 1,000 executions open: each has a watcher following it live (as
//     WatchExecution does: read after its last sequence, else wait), while writers append events
//     across all of them; events per second appended and delivered to the watchers, per store;
//  3. recovery on Redis: two replicas, the one running a long execution SIGKILLed, time until the
//     other resumes the run (ORION_EXECUTION_LOCK_MS, BENCH_LOCK_MS here, 2 s by default).
//   npm run bench:executions
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecutionStore } from "../src/store/execution-store.js";
import { RedisExecutions } from "../src/store/redis-executions.js";
import { SqliteExecutions } from "../src/store/sqlite-executions.js";
import { SqliteStore } from "../src/store/sqlite-store.js";
import { slowServer, submit, waitForEvent } from "../test/support/executions.js";
import { startRedis } from "../test/support/redis.js";
import { spawnServer } from "../test/support/server-process.js";

const SUBMITS = Number(process.env.BENCH_SUBMITS ?? 300);
const OPEN = Number(process.env.BENCH_OPEN ?? 1_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 32);
const LOCK_MS = process.env.BENCH_LOCK_MS ?? "2000";
const KEY = "sk-bench-executions";
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] ?? 0;

const redis = await startRedis();
const slow = await slowServer(4_000);
const base = {
  ORION_API_KEYS: `${KEY}=bench:enterprise`,
  ORION_PLAYGROUND: "off",
  ORION_LOG_LEVEL: "info",
  ORION_URL_ALLOW_HOSTS: slow.host,
  ORION_EXECUTION_LOCK_MS: LOCK_MS,
};

async function submitLatency(name: string, env: Record<string, string>) {
  const server = await spawnServer({ ...base, ...env });
  try {
    for (let i = 0; i < 20; i++)
      await submit(server.url, KEY, { batch: true, config: { prompt: "Say hello" } });
    const times: number[] = [];
    for (let i = 0; i < SUBMITS; i++) {
      const t = performance.now();
      const { status } = await submit(server.url, KEY, { batch: true, config: { prompt: `Say hello ${i}` } });
      times.push(performance.now() - t);
      if (status !== 200) throw new Error(`submit answered ${status}`);
    }
    console.log(
      `submit latency, ${name}: p50 ${pct(times, 0.5).toFixed(2)} ms, p99 ${pct(times, 0.99).toFixed(2)} ms (${SUBMITS} sequential)`,
    );
  } finally {
    server.child.kill("SIGKILL");
  }
}

async function eventLog(name: string, store: ExecutionStore) {
  const ids = Array.from({ length: OPEN }, () => randomUUID());
  for (const id of ids) {
    await store.create({ id, owner: "bench", createdAt: Date.now(), execution: "{}", spec: "{}" }, 3_600_000);
  }
  const stop = new AbortController();
  let delivered = 0;
  const watchers = ids.map(async (id) => {
    let after = 0;
    while (!stop.signal.aborted) {
      const page = await store.events(id, after, 200);
      delivered += page.length;
      after = page.at(-1)?.sequence ?? after;
      if (page.length === 0) await store.waitForEvents(id, after, 5_000, stop.signal);
    }
  });
  const payload = JSON.stringify({ type: "tool.progress", text: "x".repeat(120) });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < EVENTS) {
        const i = next++;
        await store.append(ids[i % OPEN] as string, payload);
      }
    }),
  );
  const appendedIn = performance.now() - started;
  while (delivered < EVENTS && performance.now() - started < 60_000)
    await new Promise((r) => setTimeout(r, 10));
  const deliveredIn = performance.now() - started;
  stop.abort();
  await Promise.allSettled(watchers);
  console.log(
    `event log, ${name}, ${OPEN} executions open, ${OPEN} live watchers: ${(EVENTS / (appendedIn / 1000)).toFixed(0)} events/s appended, ${(delivered / (deliveredIn / 1000)).toFixed(0)} events/s delivered (${delivered}/${EVENTS})`,
  );
}

async function recovery() {
  const env = { ...base, REDIS_URL: redis.url, ORION_REDIS_PREFIX: "bench-recovery:" };
  const [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
  try {
    const accepted = await submit(a.url, KEY, {
      batch: true,
      config: { prompt: `Load the file at ${slow.url}` },
    });
    await waitForEvent(a.url, KEY, accepted.body.id, "tool.started");
    // Whichever replica runs it, kill it: try a first; if the run survives there, it was b.
    const metrics = async (url: string) =>
      Number(
        /^orion_execution_queue_seconds_count (\d+)/m.exec(
          await (await fetch(`${url}/metrics`)).text(),
        )?.[1] ?? 0,
      );
    const [runner, survivor] = (await metrics(a.url)) > 0 ? [a, b] : [b, a];
    runner.child.kill("SIGKILL");
    const killed = performance.now();
    await waitForEvent(survivor.url, KEY, accepted.body.id, "execution.resumed", 60_000);
    console.log(
      `recovery on Redis: SIGKILL of the running replica → resumed on the other in ${(performance.now() - killed).toFixed(0)} ms (ORION_EXECUTION_LOCK_MS=${LOCK_MS})`,
    );
  } finally {
    a.child.kill("SIGKILL");
    b.child.kill("SIGKILL");
  }
}

try {
  await submitLatency("embedded store", {});
  await submitLatency("Redis", { REDIS_URL: redis.url, ORION_REDIS_PREFIX: "bench-submit:" });

  const sqlite = new SqliteStore({
    dir: mkdtempSync(join(tmpdir(), "orion-bench-exec-")),
    busyTimeoutMs: 5_000,
    maxSessions: 50_000,
    maxSessionBytes: 256 * 1024 * 1024,
    maxArtifactBytes: 512 * 1024 * 1024,
  });
  await eventLog("embedded store", new SqliteExecutions(sqlite.shared(), { maxEvents: 10_000, pollMs: 250 }));
  await sqlite.close();
  const onRedis = new RedisExecutions({
    target: { url: redis.url },
    prefix: "bench-log:",
    commandTimeoutMs: 5_000,
    pollMs: 1_000,
    maxEvents: 10_000,
  });
  await onRedis.ready(5_000);
  await eventLog("Redis", onRedis);
  await onRedis.close();

  await recovery();
} finally {
  await slow.close();
  await redis.stop();
}
process.exit(0);
