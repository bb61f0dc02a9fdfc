// Quota benchmark on a private Redis: round trips per guest chat, quota checks per second on one
// connection, and end-to-end chat throughput with the guest quota on vs off (an unlimited key).
//   npx tsx bench/quota.ts
import { execFileSync, spawn } from "node:child_process";
import autocannon from "autocannon";
import { RedisStore } from "../src/store/redis-store.js";
import { freePort } from "../test/support/redis.js";
import { children, runBench, startProcess } from "./support.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
function commandStats(port: number): Map<string, number> {
  const text = execFileSync("redis-cli", ["-p", String(port), "info", "commandstats"], { encoding: "utf8" });
  const stats = new Map<string, number>();
  for (const match of text.matchAll(/cmdstat_(\w+):calls=(\d+)/g))
    stats.set(match[1] as string, Number(match[2]));
  return stats;
}

async function checksPerSecond(store: RedisStore, inFlight: number): Promise<number> {
  let done = 0;
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, worker) => {
      while (Date.now() < until) {
        await store.consume(`bench:${worker}:${done % 10_000}`, 1_000_000, Date.now() + 60_000);
        done++;
      }
    }),
  );
  return done / SECONDS;
}

async function main() {
  const port = await freePort();
  const redis = spawn("redis-server", ["--port", String(port), "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  children.push(redis);
  await new Promise((r) => setTimeout(r, 300));
  const store = new RedisStore({
    url: `redis://127.0.0.1:${port}`,
    prefix: "bench:",
    commandTimeoutMs: 1_000,
  });
  await store.ready(5_000);
  console.log(
    `\nOrion Server quota benchmark — ${SECONDS}s per run, node ${process.version}, redis on :${port}`,
  );
  console.log(
    `quota checks/s on one connection, 1 in flight:  ${(await checksPerSecond(store, 1)).toFixed(0)}`,
  );
  console.log(
    `quota checks/s on one connection, 64 in flight: ${(await checksPerSecond(store, 64)).toFixed(0)}`,
  );
  await store.close();

  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  const { url: upstream } = await startProcess(["--import", "tsx", "bench/upstream.ts"]);
  const { url: server } = await startProcess(["dist/src/main.js"], {
    PORT: "0",
    REDIS_URL: `redis://127.0.0.1:${port}`,
    ORION_GUEST_DAILY_LIMIT: "1000000000",
    ORION_API_KEYS: "sk-bench-unlimited=bench:enterprise",
    ORION_LLM_BASE_URL: upstream,
    ORION_LLM_MODEL: "bench-model",
  });
  const url = `${server}/v1/openai/chat/completions`;
  const body = JSON.stringify({ messages: [{ role: "user", content: "Say hello" }], max_tokens: 16 });

  const requests = 500;
  const before = commandStats(port);
  for (let i = 0; i < requests; i++) {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-browser-id": "bench-guest" },
      body,
    });
    if (res.status !== 200) throw new Error(`chat answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  }
  const after = commandStats(port);
  const perRequest = [...after].map(
    ([cmd, calls]) => [cmd, (calls - (before.get(cmd) ?? 0)) / requests] as const,
  );
  console.log(
    `redis commands per guest chat: ${perRequest
      .filter(([, n]) => n > 0)
      .map(([cmd, n]) => `${cmd} ${n.toFixed(2)}`)
      .join(", ")}`,
  );

  for (const [label, headers] of [
    ["guest, quota on", { "x-browser-id": "bench-guest-2" }],
    ["api key, quota off", { authorization: "Bearer sk-bench-unlimited" }],
  ] as const) {
    for (const connections of [1, 10, 50]) {
      const r = await autocannon({
        url,
        connections,
        duration: SECONDS,
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
      console.log(
        `${label.padEnd(20)} ${String(connections).padStart(3)} conns: ${r.requests.average.toFixed(0).padStart(6)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors + r.non2xx}`,
      );
    }
  }
}

runBench(main);
