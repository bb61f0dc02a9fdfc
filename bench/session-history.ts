// What a conversation's history costs: chats in a session that already holds the most messages a
// session keeps (ORION_SESSION_MAX_MESSAGES, 200), against chats without a session_id, on the
// embedded store and on a private Redis. Every chat in a session reads its history back and
// appends its turn. Prints req/s and the server's CPU µs per chat at 10 connections.
//   npm run bench:history
import { execFileSync } from "node:child_process";
import http from "node:http";
import { startRedis } from "../test/support/redis.js";
import { loadWithCpu, postJson, runBench, startProcess, startServer } from "./support.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KEY = { authorization: "Bearer sk-bench-unlimited" };
const SENTENCE = "An ordinary sentence of a conversation about images and documents. ".repeat(3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function measure(url: string, pid: number, body: object) {
  const rps: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { result, cpuUs } = await loadWithCpu(url, pid, {
      connections: 10,
      seconds: SECONDS,
      headers: KEY,
      body: JSON.stringify(body),
    });
    if (result.non2xx + result.errors > 0) throw new Error(`${result.non2xx + result.errors} failed chats`);
    rps.push(result.requests.average);
    cpu.push(cpuUs);
  }
  return { rps: median(rps), cpuUs: median(cpu) };
}

async function main() {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  const upstream = await startProcess(["--import", "tsx", "bench/upstream.ts"]);
  const redis = await startRedis();
  const env = {
    ORION_LLM_BASE_URL: upstream.url,
    ORION_LLM_MODEL: "bench-model",
    ORION_API_KEYS: "sk-bench-unlimited=bench:enterprise",
    ORION_LOG_LEVEL: "warn",
  };
  console.log(`\nSession history benchmark — node ${process.version}, ${new Date().toISOString()}`);
  console.log("| store | chat | req/s | CPU µs/chat |\n|---|---|---|---|");
  for (const [store, extra] of [
    ["embedded", {}],
    ["redis", { REDIS_URL: redis.url }],
  ] as const) {
    const server = await startServer("dist/src/main.js", { ...env, ...extra });
    const url = `${server.url}/v1/openai/chat/completions`;
    const agent = new http.Agent({ keepAlive: true });
    // 100 turns: the user's message and the answer each, so the session is full (200 messages).
    for (let turn = 0; turn < 100; turn++) {
      const body = { session_id: "long", messages: [{ role: "user", content: `${turn} ${SENTENCE}` }] };
      await postJson(agent, url, JSON.stringify(body), KEY);
    }
    agent.destroy();
    const fresh = await measure(url, server.pid, { messages: [{ role: "user", content: SENTENCE }] });
    const full = await measure(url, server.pid, {
      session_id: "long",
      messages: [{ role: "user", content: SENTENCE }],
    });
    for (const [chat, f] of [
      ["no session", fresh],
      ["session of 200 messages", full],
    ] as const) {
      console.log(`| ${store} | ${chat} | ${f.rps.toFixed(0)} | ${f.cpuUs.toFixed(0)} |`);
    }
  }
}

runBench(main);
