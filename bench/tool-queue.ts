// Tool-worker tier bench (ORION_TOOL_QUEUE=redis), on a private redis-server:
//  1. the queue's own cost: a no-op heavy tool called in-process and through the queue (p50, p99);
//  2. OCR chats per second with tools in the API process, then on 1 and on 2 `orion worker`s, and
//     the RSS of the API and of each worker afterwards;
//  3. recovery: a worker SIGKILLed mid-job, time until another worker runs the job and until the
//     chat answers (ORION_WORKER_LOCK_MS decides it; BENCH_LOCK_MS here, 5 s by default).
//   npm run build && npm run bench:tool-queue
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import { createInterface } from "node:readline";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { Artifacts } from "../src/artifacts/artifacts.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/observability/logger.js";
import { createMetrics } from "../src/observability/metrics.js";
import { MemoryStore } from "../src/store/memory-store.js";
import { ToolQueue } from "../src/tool-queue/tool-queue.js";
import { ToolRegistry } from "../src/tools/registry.js";
import type { ToolContext } from "../src/tools/tool.js";
import { textImage } from "../test/support/documents.js";
import { startRedis } from "../test/support/redis.js";
import { noop } from "./noop-tool.js";
import { children, postJson, rssMiB, startProcess } from "./support.js";

const CHATS = Number(process.env.BENCH_CHATS ?? 24);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const LOCK_MS = process.env.BENCH_LOCK_MS ?? "5000";
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] ?? 0;
const fmt = (n: number) => n.toFixed(2);

const redis = await startRedis();
const shared = (name: string) => ({
  REDIS_URL: redis.url,
  ORION_REDIS_PREFIX: `bench-${name}:`,
  ORION_TOOL_QUEUE_PREFIX: `bench-${name}`,
  ORION_GUEST_DAILY_LIMIT: "1000000",
  ORION_LOG_LEVEL: "info", // the API's "listening" line carries its URL
  ORION_WORKER_LOCK_MS: LOCK_MS,
  PORT: "0",
});

function startWorker(env: Record<string, string>, script = ["dist/src/cli/main.js", "worker"]) {
  const child = spawn(process.execPath, script, { env: { ...process.env, ...env, ORION_LOG_LEVEL: "info" } });
  children.push(child);
  return new Promise<ChildProcess>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.includes("tool worker ready") || line.startsWith("ready ")) resolve(child);
    });
  });
}
const stop = (child: ChildProcess, signal: NodeJS.Signals = "SIGTERM") =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill(signal);
  });

async function queueOverhead() {
  const env = shared("noop");
  const worker = await startWorker(env, ["--import", "tsx", "bench/noop-tool.ts"]);
  const config = loadConfig(env);
  const queued = new ToolRegistry().register(noop);
  const toolQueue = new ToolQueue(config.toolQueue, config.store, createMetrics(), createLogger("warn"));
  toolQueue.offload(queued);
  await toolQueue.start(5_000);
  const artifacts = new Artifacts(new MemoryStore(), { maxBytes: 1024, ttlMs: 60_000 });
  const ctx: ToolContext = {
    signal: new AbortController().signal,
    progress: () => {},
    artifacts: {
      scope: "bench|s",
      adopt: () => {},
      put: (d, t, f) => artifacts.put("bench|s", d, t, f),
      get: (r) => artifacts.get("bench|s", r),
    },
  };
  const time = async (run: () => Promise<unknown>, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await run();
      out.push(performance.now() - t);
    }
    return out;
  };
  const tool = queued.get("noop");
  await time(() => tool?.execute({}, ctx) ?? Promise.resolve(), 50); // warm-up
  const inProcess = await time(() => noop.execute({}, ctx), 500);
  const viaQueue = await time(() => tool?.execute({}, ctx) ?? Promise.resolve(), 500);
  console.log("\n## Queue cost: a no-op heavy tool, 500 sequential calls");
  console.log("| | p50 ms | p99 ms |\n|---|---|---|");
  console.log(`| in-process | ${pct(inProcess, 0.5).toFixed(3)} | ${pct(inProcess, 0.99).toFixed(3)} |`);
  console.log(`| through the queue (1 worker) | ${fmt(pct(viaQueue, 0.5))} | ${fmt(pct(viaQueue, 0.99))} |`);
  await toolQueue.close();
  await stop(worker);
}

const page = await textImage([
  "Invoice 2041 for Acme Robotics",
  "Total due: 1,284.50 USD by March 3",
  "Contact billing@acme.example for help",
]);
const ocrBody = JSON.stringify({
  model: "vlmrun-orion-1:lite",
  toolsets: ["document"],
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "What does this image say?" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${page.toString("base64")}` } },
      ],
    },
  ],
});

async function ocrRun(url: string, chats: number, concurrency: number) {
  const agent = new http.Agent({ keepAlive: true });
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (next < chats) {
        next++;
        const res = await postJson(agent, `${url}/v1/openai/chat/completions`, ocrBody, {
          "x-browser-id": `bench-${lane}`,
        });
        if (res.status !== 200 || !res.text.includes("Total due")) failed++;
      }
    }),
  );
  agent.destroy();
  return { perSecond: chats / ((performance.now() - started) / 1000), failed };
}

async function ocrThroughput() {
  console.log(
    `\n## OCR chats per second (${CHATS} chats, ${CONCURRENCY} at a time, after ${CONCURRENCY * 2} warm-up chats)`,
  );
  console.log("| tools run in | chats/s | failed | API RSS MiB | worker RSS MiB |\n|---|---|---|---|---|");
  const inProcess = shared("inproc");
  const api = await startProcess(["dist/src/main.js"], inProcess);
  await ocrRun(api.url, CONCURRENCY * 2, CONCURRENCY);
  const local = await ocrRun(api.url, CHATS, CONCURRENCY);
  console.log(
    `| the API process | ${fmt(local.perSecond)} | ${local.failed} | ${rssMiB(api.pid).toFixed(0)} | – |`,
  );
  process.kill(api.pid, "SIGTERM");

  const env = { ...shared("queued"), ORION_TOOL_QUEUE: "redis" };
  const queuedApi = await startProcess(["dist/src/main.js"], env);
  const workers = [await startWorker(env)];
  for (const count of [1, 2]) {
    if (count === 2) workers.push(await startWorker(env));
    await new Promise((r) => setTimeout(r, 1_500)); // the API sees the new worker's heartbeat
    await ocrRun(queuedApi.url, CONCURRENCY * 2, CONCURRENCY);
    const run = await ocrRun(queuedApi.url, CHATS, CONCURRENCY);
    const workerRss = workers.map((w) => rssMiB(w.pid ?? 0).toFixed(0)).join(" + ");
    console.log(
      `| ${count} worker process${count > 1 ? "es" : ""} | ${fmt(run.perSecond)} | ${run.failed} | ${rssMiB(queuedApi.pid).toFixed(0)} | ${workerRss} |`,
    );
  }
  return { api: queuedApi, workers, env };
}

async function recovery(url: string, workers: ChildProcess[], env: Record<string, string>) {
  const big = await textImage(
    Array.from({ length: 60 }, (_, i) => `Line ${i + 1}: the quick brown fox jumps over the lazy dog`),
    { width: 2400, height: 6000, fontSize: 40 },
  );
  const body = JSON.stringify({
    ...JSON.parse(ocrBody),
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "What does this image say?" },
          { type: "image_url", image_url: { url: `data:image/png;base64,${big.toString("base64")}` } },
        ],
      },
    ],
  });
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue("tools-document", { connection, prefix: env.ORION_TOOL_QUEUE_PREFIX });
  const agent = new http.Agent({ keepAlive: true });
  const reply = postJson(agent, `${url}/v1/openai/chat/completions`, body, { "x-browser-id": "recovery" });
  let job: Awaited<ReturnType<Queue["getActive"]>>[number] | undefined;
  while (!job?.processedBy) [job] = await queue.getActive();
  const runner = workers.find((w) => job?.processedBy?.includes(`:${w.pid}:`));
  const killedAt = performance.now();
  runner?.kill("SIGKILL");
  let restartedAfter = 0;
  for (;;) {
    const [again] = await queue.getActive();
    if (again?.processedBy && !again.processedBy.includes(`:${runner?.pid}:`)) {
      restartedAfter = performance.now() - killedAt;
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const res = await reply;
  const answeredAfter = performance.now() - killedAt;
  console.log(`\n## Recovery: a worker SIGKILLed mid-job (ORION_WORKER_LOCK_MS=${LOCK_MS})`);
  console.log("| job running again on the other worker | chat answered | status |\n|---|---|---|");
  console.log(
    `| ${(restartedAfter / 1000).toFixed(2)} s after the kill | ${(answeredAfter / 1000).toFixed(2)} s after the kill | ${res.status} |`,
  );
  agent.destroy();
  await queue.close();
  connection.disconnect();
}

try {
  await queueOverhead();
  const { api, workers, env } = await ocrThroughput();
  await recovery(api.url, workers, env);
} finally {
  for (const child of children) child.kill("SIGKILL");
  await redis.stop();
}
process.exit(0);
