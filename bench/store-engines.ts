// The embedded store's engines compared: guest chats (quota on, each turn kept in a session) on the
// durable SQLite store, the in-process store (ORION_DATA_DIR=:memory:) and a private Redis, at 1, 10
// and 50 connections; then the durable store's start-up with 10,000 sessions stored, and its file
// size before and after they expire.
//   npm run bench:store
//   BENCH_SECONDS=10 BENCH_ROUNDS=5 npm run bench:store     # longer runs, 5 rounds (best, and the median ratio)
//   BENCH_CONNECTIONS=1,10 npm run bench:store
//   BENCH_PARTS=startup,file npm run bench:store            # some of: load, startup, file
// Each case is its own server process in front of one fake upstream; CPU is the server's, per chat.
import { execFileSync } from "node:child_process";
import { mkdtempSync, statSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../src/store/sqlite-store.js";
import { startRedis } from "../test/support/redis.js";
import { chatBody, loadWithCpu, postJson, runBench, startProcess } from "./support.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? "1,10,50").split(",").map(Number);
const SESSIONS = 10_000;
const PARTS = (process.env.BENCH_PARTS ?? "load,startup,file").split(",");

interface Figures {
  rps: number;
  p50: number;
  cpuUs: number;
  errors: number;
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function guestChats(url: string, pid: number, connections: number): Promise<Figures> {
  const { result, cpuUs } = await loadWithCpu(`${url}/v1/openai/chat/completions`, pid, {
    connections,
    seconds: SECONDS,
    headers: { "x-browser-id": `bench-guest-${connections}` },
    body: chatBody(false),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    cpuUs,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** p50 of sequential chats on one keep-alive connection, timed with hrtime (autocannon counts whole ms). */
async function sequentialP50(url: string, count = 2_000): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await postJson(agent, `${url}/v1/openai/chat/completions`, chatBody(false), {
      "x-browser-id": "bench-p50",
    });
    samples.push(performance.now() - started);
  }
  agent.destroy();
  return samples.sort((a, b) => a - b)[Math.floor(count / 2)] ?? 0;
}

const dataDir = () => mkdtempSync(join(tmpdir(), "orion-bench-store-"));

const bytesOf = (dir: string, name: string) =>
  statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
/** The store file and its write-ahead log (which SQLite reuses, at most ~4 MiB past a checkpoint). */
const fileBytes = (dir: string) =>
  `${mib(bytesOf(dir, "orion.db"))} + log ${mib(bytesOf(dir, "orion.db-wal"))}`;

/** 10,000 sessions of a two-message turn each, written as a server would (one per append). */
async function fill(store: SqliteStore, ttlMs: number, round = 0): Promise<void> {
  const turn = [
    JSON.stringify({ role: "user", content: "Say hello, and tell me about the weather in Lisbon" }),
    JSON.stringify({ role: "assistant", content: "Hello! It is sunny in Lisbon, 24 °C." }),
  ];
  const limits = { ttlMs, maxEntries: 100, maxBytes: 1 << 20 };
  for (let i = 0; i < SESSIONS; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) =>
        store.appendSession(`r${round}-s${i + j}`, "guest:bench", turn, limits),
      ),
    );
  }
}

const openStore = (dir: string, now: () => number = Date.now) =>
  new SqliteStore(
    {
      dir,
      busyTimeoutMs: 5_000,
      maxSessions: 1_000_000,
      maxSessionBytes: 1 << 30,
      maxArtifactBytes: 1 << 30,
    },
    now,
  );

/** Milliseconds from spawning the built server to its listening line. */
async function startupMs(env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const { pid } = await startProcess(["dist/src/main.js"], env);
  const ms = performance.now() - started;
  process.kill(pid, "SIGTERM");
  return ms;
}

async function main() {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  const upstream = await startProcess(["--import", "tsx", "bench/upstream.ts"]);
  const redis = await startRedis();
  const env = {
    PORT: "0",
    ORION_LLM_BASE_URL: upstream.url,
    ORION_LLM_MODEL: "bench-model",
    ORION_GUEST_DAILY_LIMIT: "1000000000",
    ORION_PLAYGROUND: "off",
  };
  const engines = {
    durable: await startProcess(["dist/src/main.js"], { ...env, ORION_DATA_DIR: dataDir() }),
    memory: await startProcess(["dist/src/main.js"], { ...env, ORION_DATA_DIR: ":memory:" }),
    redis: await startProcess(["dist/src/main.js"], { ...env, REDIS_URL: redis.url }),
  };
  console.log(
    `\nOrion Server store engines — guest chats (quota on, each turn kept), ${SECONDS}s per run, best of ${ROUNDS}, node ${process.version}, ${new Date().toISOString()}`,
  );
  if (PARTS.includes("load")) await loadTable(engines);
  for (const { pid } of Object.values(engines)) process.kill(pid, "SIGTERM");
  if (PARTS.includes("startup")) await startupFigures(env);
  if (PARTS.includes("file")) await fileFigures();
}

async function loadTable(engines: Record<string, { url: string; pid: number }>) {
  for (const { url, pid } of Object.values(engines)) await guestChats(url, pid, 10); // warm-up
  console.log(
    "conns | engine  |  req/s | p50 ms | CPU µs/chat | errors | req/s ÷ memory (best) | ÷ memory per round: median [range]   (p50 at 1 connection: sequential, hrtime)",
  );
  for (const connections of CONNECTIONS) {
    const best: Record<string, Figures> = {};
    const ratios: Record<string, number[]> = {};
    // Rounds interleave the engines, so a noisy moment on the machine does not favour one; the
    // ratio of each round (engines measured moments apart) is steadier than the best of each.
    for (let round = 0; round < ROUNDS; round++) {
      const thisRound: Record<string, Figures> = {};
      for (const [name, { url, pid }] of Object.entries(engines)) {
        const figures = await guestChats(url, pid, connections);
        if (connections === 1) figures.p50 = await sequentialP50(url);
        thisRound[name] = figures;
        if (!best[name] || figures.rps > (best[name] as Figures).rps) best[name] = figures;
      }
      for (const [name, f] of Object.entries(thisRound)) {
        ratios[name] = [...(ratios[name] ?? []), f.rps / (thisRound.memory as Figures).rps];
      }
    }
    const memory = best.memory as Figures;
    for (const [name, f] of Object.entries(best)) {
      const perRound = [...(ratios[name] ?? [])].sort((a, b) => a - b);
      const median = perRound[Math.floor(perRound.length / 2)] ?? 0;
      const range = `${fmt(100 * (perRound[0] ?? 0))}–${fmt(100 * (perRound.at(-1) ?? 0))} %`;
      console.log(
        `${String(connections).padStart(5)} | ${name.padEnd(7)} | ${fmt(f.rps).padStart(6)} | ${fmt(f.p50, 2).padStart(6)} | ${fmt(f.cpuUs).padStart(11)} | ${String(f.errors).padStart(6)} | ${`${fmt((100 * f.rps) / memory.rps)} %`.padStart(21)} | ${fmt(100 * median)} % [${range}]`,
      );
    }
  }
}

/** Start-up with 10,000 sessions stored, against an empty data directory. */
async function startupFigures(env: Record<string, string>) {
  const full = dataDir();
  const store = openStore(full);
  await fill(store, 24 * 3600_000);
  await store.close();
  const empty = await startupMs({ ...env, ORION_DATA_DIR: dataDir() });
  const stored = await startupMs({ ...env, ORION_DATA_DIR: full });
  console.log(
    `\nstart-up to listening: empty data directory ${fmt(empty)} ms, with ${SESSIONS.toLocaleString("en")} sessions stored ${fmt(stored)} ms`,
  );
}

/** File size: 10,000 sessions, their expiry and housekeeping, then 10,000 more in the space freed. */
async function fileFigures() {
  let now = Date.now();
  const dir = dataDir();
  const sized = openStore(dir, () => now);
  await fill(sized, 60_000, 1);
  const filled = fileBytes(dir);
  now += 120_000;
  await sized.housekeeping();
  const expired = fileBytes(dir);
  await fill(sized, 60_000, 2);
  const refilled = fileBytes(dir);
  await sized.close();
  const closed = fileBytes(dir);
  console.log(
    `file (orion.db + its log): ${SESSIONS.toLocaleString("en")} sessions ${filled}; after their expiry ${expired}; ${SESSIONS.toLocaleString("en")} more in the space freed ${refilled}; closed ${closed}`,
  );
}

runBench(main);
