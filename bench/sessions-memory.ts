// Memory across many sessions: the server in this process (so the bench can force a GC), on a
// private Redis, BENCH_SESSIONS sequential chats each opening a new session (an API key, so the
// guest quota does not stop them). Prints the heap and RSS after a full GC every fifth of them:
// flat heap = nothing per session stays in the server process.
//   npm run bench:sessions
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/observability/logger.js";
import { build } from "../src/server/app.js";
import { startFakeUpstream } from "../test/support/fake-upstream.js";
import { freePort } from "../test/support/redis.js";

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc (npm run bench:sessions does)");

const port = await freePort();
const redis = spawn("redis-server", ["--port", String(port), "--save", "", "--appendonly", "no"], {
  stdio: "ignore",
});
await sleep(300);
const upstream = await startFakeUpstream();
const app = build(
  loadConfig({
    PORT: "0",
    REDIS_URL: `redis://127.0.0.1:${port}`,
    ORION_LLM_BASE_URL: upstream.url,
    ORION_LLM_MODEL: "bench-model",
    ORION_API_KEYS: "sk-bench-unlimited=bench:enterprise",
  }),
  { logger: createLogger("warn") },
);
const url = `${await app.listen()}/v1/openai/chat/completions`;
const body = JSON.stringify({ messages: [{ role: "user", content: "Say hello" }], max_tokens: 16 });

async function chats(n: number) {
  for (let i = 0; i < n; i++) {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-bench-unlimited" },
      body,
    });
    if (res.status !== 200) throw new Error(`chat answered ${res.status}`);
    await res.arrayBuffer();
    upstream.calls.splice(0);
  }
}

async function afterGc() {
  gc?.();
  await sleep(100);
  gc?.();
  const m = process.memoryUsage();
  return `heap ${(m.heapUsed / 2 ** 20).toFixed(1)} MiB, RSS ${(m.rss / 2 ** 20).toFixed(0)} MiB`;
}

console.log(`\n${SESSIONS} sequential chats, each a new session, on Redis (node ${process.version})`);
const step = SESSIONS / 5;
await chats(step); // warm: JIT, pools, connections
console.log(`after ${step}: ${await afterGc()}`);
for (let done = 2 * step; done <= SESSIONS + step; done += step) {
  await chats(step);
  console.log(`after ${done}: ${await afterGc()}`);
}
await app.shutdown(0);
await upstream.close();
redis.kill();
