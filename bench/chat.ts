// Chat benchmark: Orion Server vs a bare keep-alive Node proxy (the baseline) and vs that proxy
// plus a gateway's per-request essentials (the floor: key check, request id, cancellation, pooled
// upstream, metrics, access log; bench/floor-proxy.ts), and optionally vs Portkey's open-source
// gateway, all in front of the same fake upstream, each in its own process. Drives load with
// autocannon and prints req/s, p50, p99, RSS, CPU per request, for plain and streaming chats,
// with an API key and as a guest (quota on), on the embedded store and on a private Redis; first
// whether each Orion server's memory comes back after a load (bench/memory-return.ts), last a
// summary at 10 connections.
//   npm run bench                     # 1, 10, 50 connections, 5 s each
//   BENCH_SECONDS=10 npm run bench
//   BENCH_CASES=key-embedded npm run bench   # only some of: key-embedded, guest-embedded, key-redis, guest-redis
//   BENCH_WORKERS=2 BENCH_CASES=key-redis,guest-redis npm run bench   # the Redis server with ORION_WORKERS=2
//   BENCH_MEMORY=0 npm run bench      # without the memory phase (20 s of load and 30 s of wait per case)
//   PORTKEY_DIR=/path/to/built/gateway npm run bench   # with Portkey's rows and Orion's "÷ portkey"
// Portkey is never part of the project: build it outside, once:
//   git clone https://github.com/Portkey-AI/gateway && cd gateway
//   npm ci --ignore-scripts && npx patch-package && npx rollup -c   # → build/start-server.js
// RSS and CPU count the server process and its children (the workers, when ORION_WORKERS > 1).
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRedis } from "../test/support/redis.js";
import { measureMemoryReturn } from "./memory-return.js";
import { startPortkey } from "./portkey.js";
import {
  chatBody,
  loadWithCpu,
  postJson,
  rssMiB,
  runBench,
  type ServerCase,
  startProcess,
} from "./support.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? "1,10,50").split(",").map(Number);

interface Figures {
  rps: number;
  /** CPU time the server process spent per request (user + system). */
  cpuUs: number;
  p50: number;
  p99: number;
  errors: number;
}

const KEY = { authorization: "Bearer sk-bench-unlimited" };
const GUEST = { "x-browser-id": "bench-guest" };

async function load(
  url: string,
  pid: number,
  connections: number,
  stream: boolean,
  who: Record<string, string> = KEY,
): Promise<Figures> {
  const { result, cpuUs } = await loadWithCpu(url, pid, {
    connections,
    seconds: SECONDS,
    headers: who,
    body: chatBody(stream),
  });
  return {
    rps: result.requests.average,
    cpuUs,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** Sequential keep-alive requests timed with hrtime: precise per-request latency at one connection. */
async function sequentialP50(
  url: string,
  stream: boolean,
  who: Record<string, string> = KEY,
  count = 2000,
): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const payload = chatBody(stream);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await postJson(agent, url, payload, who);
    if (i >= count / 10) samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  agent.destroy();
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? 0;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

const PORTKEY_DIR = process.env.PORTKEY_DIR;
const CASES = (process.env.BENCH_CASES ?? "key-embedded,guest-embedded,key-redis,guest-redis").split(",");

async function main() {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  const upstream = await startProcess(["--import", "tsx", "bench/upstream.ts"]);
  const orionEnv = {
    PORT: "0",
    ORION_LLM_BASE_URL: upstream.url,
    ORION_LLM_MODEL: "bench-model",
    ORION_LOG_LEVEL: process.env.ORION_LOG_LEVEL ?? "info",
    ORION_API_KEYS: "sk-bench-unlimited=bench:enterprise",
    ORION_GUEST_DAILY_LIMIT: "1000000000",
  };
  // The embedded store on a directory of its own, not the checkout's data/.
  const server = await startProcess(["dist/src/main.js"], {
    ...orionEnv,
    ORION_DATA_DIR: mkdtempSync(join(tmpdir(), "orion-bench-chat-")),
  });
  const redis = CASES.some((c) => c.endsWith("redis")) ? await startRedis() : undefined;
  const onRedis = redis
    ? await startProcess(["dist/src/main.js"], {
        ...orionEnv,
        REDIS_URL: redis.url,
        ORION_WORKERS: process.env.BENCH_WORKERS ?? "1",
      })
    : server;
  const baseline = await startProcess(["--import", "tsx", "bench/baseline-proxy.ts", upstream.url]);
  const floor = await startProcess(["--import", "tsx", "bench/floor-proxy.ts", upstream.url]);
  const portkey = PORTKEY_DIR ? await startPortkey(PORTKEY_DIR, upstream.url) : undefined;
  const targets = {
    upstream: `${upstream.url}/chat/completions`,
    baseline: `${baseline.url}/chat/completions`,
    floor: `${floor.url}/chat/completions`,
    orion: `${server.url}/v1/openai/chat/completions`,
  };
  const cases: ServerCase[] = [
    { name: "key-embedded", url: targets.orion, pid: server.pid, who: KEY },
    { name: "guest-embedded", url: targets.orion, pid: server.pid, who: GUEST },
    { name: "key-redis", url: `${onRedis.url}/v1/openai/chat/completions`, pid: onRedis.pid, who: KEY },
    { name: "guest-redis", url: `${onRedis.url}/v1/openai/chat/completions`, pid: onRedis.pid, who: GUEST },
  ].filter((c) => CASES.includes(c.name));

  console.log(
    `\nOrion Server chat benchmark — ${SECONDS}s per run, node ${process.version}, ${new Date().toISOString()}` +
      (process.env.BENCH_WORKERS ? `, Redis server with ORION_WORKERS=${process.env.BENCH_WORKERS}` : "") +
      (portkey ? `, Portkey from ${PORTKEY_DIR}` : ""),
  );
  // Right after start-up, while the servers are idle.
  if (process.env.BENCH_MEMORY !== "0") await measureMemoryReturn(cases);
  const measured = new Map<string, Figures>();
  const key = (stream: boolean, connections: number, name: string) => `${stream}/${connections}/${name}`;
  for (const stream of [false, true]) {
    const mode = stream ? "streaming (SSE, include_usage)" : "non-streaming";
    await load(targets.baseline, baseline.pid, 10, stream); // warm-up
    await load(targets.floor, floor.pid, 10, stream);
    // Portkey's first runs are markedly slower than its later ones.
    if (portkey) await load(portkey.url, portkey.pid, 10, stream, portkey.who);
    for (const c of cases) await load(c.url, c.pid, 10, stream, c.who);
    console.log(`\n## ${mode}`);
    const direct = await sequentialP50(targets.upstream, stream);
    const viaBaseline = await sequentialP50(targets.baseline, stream);
    console.log(
      `sequential p50 at 1 connection (hrtime, 2,000 requests): upstream ${fmt(direct, 3)} ms, baseline ${fmt(viaBaseline, 3)} ms (adds ${fmt(viaBaseline - direct, 3)} ms)`,
    );
    for (const c of cases) {
      const p50 = await sequentialP50(c.url, stream, c.who);
      console.log(
        `  ${c.name.padEnd(15)} ${fmt(p50, 3)} ms: adds ${fmt(p50 - direct, 3)} ms, ${fmt((p50 - viaBaseline) * 1000, 0)} µs more than the baseline adds`,
      );
    }
    console.log(
      `conns | target          |    req/s |  p50 ms |  p99 ms | errors | RSS MiB | CPU µs/req | ÷ baseline |    ÷ floor${portkey ? " | ÷ portkey" : ""}`,
    );
    for (const connections of CONNECTIONS) {
      const percent = (x: number, of: number) => `${fmt((100 * x) / of, 0)} %`.padStart(10);
      const measure = async (name: string, url: string, pid: number, who?: Record<string, string>) => {
        const fig = await load(url, pid, connections, stream, who);
        measured.set(key(stream, connections, name), fig);
        return { fig, rss: rssMiB(pid) };
      };
      const row = (name: string, { fig, rss }: { fig: Figures; rss: number }, ratios = "") =>
        `${String(connections).padStart(5)} | ${name.padEnd(15)} | ${fmt(fig.rps, 0).padStart(8)} | ${fmt(fig.p50).padStart(7)} | ${fmt(fig.p99).padStart(7)} | ${String(fig.errors).padStart(6)} | ${fmt(rss, 0).padStart(7)} | ${fmt(fig.cpuUs, 0).padStart(10)} | ${ratios}`;
      const b = await measure("baseline", targets.baseline, baseline.pid);
      const f = await measure("floor", targets.floor, floor.pid);
      console.log(row("baseline", b));
      console.log(row("floor", f, percent(f.fig.rps, b.fig.rps)));
      const p = portkey && (await measure(portkey.name, portkey.url, portkey.pid, portkey.who));
      if (p)
        console.log(row("portkey", p, `${percent(p.fig.rps, b.fig.rps)} | ${percent(p.fig.rps, f.fig.rps)}`));
      for (const c of cases) {
        const o = await measure(c.name, c.url, c.pid, c.who);
        const overPortkey = p ? ` | ${`${fmt(o.fig.rps / p.fig.rps)}×`.padStart(9)}` : "";
        console.log(
          row(c.name, o, `${percent(o.fig.rps, b.fig.rps)} | ${percent(o.fig.rps, f.fig.rps)}${overPortkey}`),
        );
      }
    }
  }
  printSummary((stream, name) => measured.get(key(stream, 10, name)));
}

/** Issue 31's summary at 10 connections, per mode, from the figures the tables above measured. */
function printSummary(at: (stream: boolean, name: string) => Figures | undefined) {
  console.log("\n## summary at 10 connections");
  if (!CONNECTIONS.includes(10)) {
    console.log("(no run at 10 connections: BENCH_CONNECTIONS must include 10)");
    return;
  }
  const columns = [
    "mode",
    "orion guest (embedded) req/s",
    "bare proxy req/s",
    "Portkey req/s",
    "orion CPU µs/req",
    "bare CPU µs/req",
    "Portkey CPU µs/req",
    "orion CPU ÷ bare (target ≤ 2×)",
  ];
  const widths = columns.map((c) => Math.max(c.length, "stream".length));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padStart(widths[i] ?? 0)).join(" | ")} |`;
  console.log(`${line(columns)}\n|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  const figure = (fig: Figures | undefined, pick: (f: Figures) => number) => (fig ? fmt(pick(fig), 0) : "—");
  for (const stream of [false, true]) {
    const orion = at(stream, "guest-embedded");
    const bare = at(stream, "baseline");
    const portkey = at(stream, "portkey");
    const cpuRatio = orion && bare ? orion.cpuUs / bare.cpuUs : undefined;
    const cells = [
      stream ? "stream" : "plain",
      figure(orion, (f) => f.rps),
      figure(bare, (f) => f.rps),
      figure(portkey, (f) => f.rps),
      figure(orion, (f) => f.cpuUs),
      figure(bare, (f) => f.cpuUs),
      figure(portkey, (f) => f.cpuUs),
      cpuRatio === undefined ? "—" : `${fmt(cpuRatio)}× ${cpuRatio <= 2 ? "met" : "MISSED"}`,
    ];
    console.log(line(cells));
  }
}

runBench(main);
