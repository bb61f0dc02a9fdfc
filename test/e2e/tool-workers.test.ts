import { randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/observability/logger.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { type App, build } from "../../src/server/app.js";
import { WorkerPresence } from "../../src/tool-queue/presence.js";
import { queuePrefix } from "../../src/tool-queue/tool-jobs.js";
import { ToolQueue } from "../../src/tool-queue/tool-queue.js";
import { builtinTools } from "../../src/tools/builtin.js";
import { textImage } from "../support/documents.js";
import { TEST_FETCH_POLICY } from "../support/fetch-policy.js";
import { type PrivateRedis, startRedis, startRedisCluster } from "../support/redis.js";
import { postChat, sseData, uniquePrefix } from "../support/server.js";
import { toolHarness } from "../support/tool-harness.js";
import { startWorkerProcess, type WorkerProcess } from "../support/tool-workers.js";

// The tool-worker tier end to end: a real API server with ORION_TOOL_QUEUE=redis, real
// `orion worker` processes, a private redis-server (and a private Cluster), real OCR.

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

const started: { apps: App[]; workers: WorkerProcess[] } = { apps: [], workers: [] };
afterEach(async () => {
  await Promise.all(started.workers.splice(0).map((w) => w.stop("SIGKILL")));
  await Promise.all(started.apps.splice(0).map((a) => a.shutdown(0)));
});

/** Settings the API and its workers share: the same Redis, a key prefix and queue prefix of this test's own. */
function sharedEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: redis.url,
    ORION_REDIS_PREFIX: uniquePrefix(),
    ORION_TOOL_QUEUE_PREFIX: `tq-${randomBytes(4).toString("hex")}`,
    ORION_WORKER_LOCK_MS: "1000",
    ORION_WORKER_CONCURRENCY: "1",
    ...extra,
  };
}

async function startApi(env: Record<string, string>) {
  const app = build(
    loadConfig({ PORT: "0", ORION_TOOL_QUEUE: "redis", ORION_GUEST_DAILY_LIMIT: "1000", ...env }),
    { logger: createLogger("silent") },
  );
  started.apps.push(app);
  return { app, url: await app.listen() };
}

async function startWorker(env: Record<string, string>) {
  const worker = await startWorkerProcess(env);
  started.workers.push(worker);
  return worker;
}

async function readyz(url: string) {
  return (await (await fetch(`${url}/readyz`)).json()) as { tool_workers: Record<string, number> };
}

async function untilWorkers(url: string, toolset: string, count: number) {
  for (let i = 0; i < 200; i++) {
    if ((await readyz(url)).tool_workers[toolset] === count) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never saw ${count} ${toolset} workers`);
}

const picture = (lines: string[], size?: { width: number; height: number; fontSize: number }) =>
  textImage(lines, size).then((png) => `data:image/png;base64,${png.toString("base64")}`);

/** Many lines of small text: an OCR job that runs long enough to be caught while it runs. */
const slowPage = () =>
  picture(
    Array.from(
      { length: 60 },
      (_, i) => `Line ${i + 1}: the quick brown fox jumps over the lazy dog ${i * 7}`,
    ),
    { width: 2400, height: 6000, fontSize: 40 },
  );

const ocrChat = (image: string, stream = false) => ({
  model: "vlmrun-orion-1:lite",
  toolsets: ["document"],
  stream,
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "What does this image say?" },
        { type: "image_url", image_url: { url: image } },
      ],
    },
  ],
});

const answerOf = async (res: Response) =>
  ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? "";

/** The job a worker is running on the document queue, and which worker runs it (`host:pid:…`). */
async function activeJob(env: Record<string, string>) {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue("tools-document", { connection, prefix: env.ORION_TOOL_QUEUE_PREFIX });
  try {
    for (let i = 0; i < 300; i++) {
      const [job] = await queue.getActive();
      if (job?.processedBy) return { id: job.id as string, worker: job.processedBy };
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("no job became active");
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

const runnerOf = (job: { worker: string }, workers: WorkerProcess[]) =>
  workers.find((w) => job.worker.includes(`:${w.pid}:`));

describe("tool workers (ORION_TOOL_QUEUE=redis)", () => {
  it("runs a chat's OCR on a worker: the answer, progress in order, and the worker's log", async () => {
    const env = sharedEnv();
    const { url } = await startApi(env);
    const worker = await startWorker(env);
    await untilWorkers(url, "document", 1);

    const res = await postChat(url, ocrChat(await picture(["Boarding pass: gate B12", "Seat 14C"]), true), {
      "x-browser-id": "tool-workers-ocr",
    });
    expect(res.status).toBe(200);
    const chunks = sseData(await res.text())
      .filter((d) => d !== "[DONE]")
      .map((d) => JSON.parse(d));
    const events = chunks.flatMap((c) =>
      c.agent_event ? [c.agent_event as { kind: string; tool_name: string; message: string }] : [],
    );
    const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
    expect(text).toContain("Boarding pass: gate B12");
    const kinds = events.filter((e) => e.tool_name === "ocr").map((e) => e.kind);
    expect(kinds).toEqual(["tool.started", "tool.progress", "tool.finished"]);
    expect(events.find((e) => e.kind === "tool.progress")?.message).toContain("reading text in");
    const done = await worker.line((l) => l.msg === "tool job done" && l.tool === "ocr");
    expect(done.ms).toBeGreaterThan(0);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/orion_tool_queue_run_seconds_count\{tool="ocr"\} 1/);
    expect(metrics).toMatch(/orion_tool_workers\{toolset="document"\} 1/);
  });

  it("shares jobs between two workers", async () => {
    const env = sharedEnv();
    const { url } = await startApi(env);
    const workers = [await startWorker(env), await startWorker(env)];
    await untilWorkers(url, "document", 2);
    const image = await picture(["Invoice 2231", "Total due 41.50"]);
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) => postChat(url, ocrChat(image), { "x-browser-id": `share-${i}` })),
    );
    for (const res of replies) {
      expect(res.status).toBe(200);
      expect(await answerOf(res)).toContain("Total due 41.50");
    }
    for (const worker of workers) await worker.line((l) => l.msg === "tool job done");
  });

  it("a worker killed mid-job: another worker takes the job over and the chat still gets its answer", async () => {
    const env = sharedEnv();
    const { url } = await startApi(env);
    const workers = [await startWorker(env), await startWorker(env)];
    await untilWorkers(url, "document", 2);
    const reply = postChat(url, ocrChat(await slowPage()), { "x-browser-id": "kill-mid-job" });
    const job = await activeJob(env);
    const runner = runnerOf(job, workers);
    const other = workers.find((w) => w !== runner);
    expect(runner).toBeDefined();
    await runner?.stop("SIGKILL");
    const res = await reply;
    expect(res.status).toBe(200);
    expect(await answerOf(res)).toContain("Line 1: the quick brown fox");
    await other?.line((l) => l.msg === "tool job done" && l.job === job.id);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/orion_tool_jobs_stalled_total\{toolset="document"\} [1-9]/);
  });

  it("a job that keeps failing ends as a tool error the model reads, after ORION_TOOL_ATTEMPTS runs", async () => {
    const env = sharedEnv({ ORION_TOOL_ATTEMPTS: "1" });
    const { url } = await startApi(env);
    const workers = [await startWorker(env), await startWorker(env)];
    await untilWorkers(url, "document", 2);
    const reply = postChat(url, ocrChat(await slowPage()), { "x-browser-id": "keeps-failing" });
    await runnerOf(await activeJob(env), workers)?.stop("SIGKILL");
    const res = await reply;
    expect(res.status).toBe(200);
    expect(await answerOf(res)).toContain("stopped repeatedly (ORION_TOOL_ATTEMPTS)");
  });

  it("a caller going away cancels the running job on its worker", async () => {
    const env = sharedEnv();
    const { url } = await startApi(env);
    const worker = await startWorker(env);
    await untilWorkers(url, "document", 1);
    const abort = new AbortController();
    const reply = fetch(`${url}/v1/openai/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-browser-id": "cancel-running" },
      body: JSON.stringify(ocrChat(await slowPage(), true)),
      signal: abort.signal,
    }).then((res) => res.text());
    const job = await activeJob(env);
    abort.abort();
    await reply.catch(() => {});
    const failed = await worker.line((l) => l.msg === "tool job failed" && l.job === job.id, 10_000);
    expect(failed.err).toBe("cancelled");
    expect(worker.logs.some((l) => l.msg === "tool job done" && l.job === job.id)).toBe(false);
  });

  it("a caller going away before a worker is free removes its waiting job", async () => {
    const env = sharedEnv();
    const { url } = await startApi(env);
    const worker = await startWorker(env);
    await untilWorkers(url, "document", 1);
    // The one worker (concurrency 1) is busy with a long job; the next chat's job waits behind it.
    const busy = postChat(url, ocrChat(await slowPage()), { "x-browser-id": "busy" });
    const running = await activeJob(env);
    const abort = new AbortController();
    const waiting = fetch(`${url}/v1/openai/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-browser-id": "leaves-while-waiting" },
      body: JSON.stringify(ocrChat(await picture(["Never read"]))),
      signal: abort.signal,
    }).catch(() => undefined);
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue("tools-document", { connection, prefix: env.ORION_TOOL_QUEUE_PREFIX });
    try {
      for (let i = 0; i < 300 && (await queue.getWaitingCount()) === 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await queue.getWaitingCount()).toBe(1);
      abort.abort();
      await waiting;
      for (let i = 0; i < 100 && (await queue.getWaitingCount()) > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await queue.getWaitingCount()).toBe(0);
      expect((await busy).status).toBe(200);
      // The worker ran only the busy chat's job: the removed one never started.
      await worker.line((l) => l.msg === "tool job done" && l.job === running.id);
      const jobs = worker.logs.filter((l) => l.msg === "tool job done" || l.msg === "tool job failed");
      expect(jobs.map((l) => l.job)).toEqual([running.id]);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  it("no workers: the chat fails at once with a 503 naming ORION_TOOL_QUEUE and the worker command", async () => {
    const env = sharedEnv();
    const { url } = await startApi(env);
    const ready = await readyz(url);
    expect(ready.tool_workers).toEqual({ document: 0, image: 0, video: 0, viz: 0 });
    const tools = (await (await fetch(`${url}/v1/tools`)).json()) as {
      data: { name: string; available: boolean; unavailable_reason?: string; reason?: string }[];
    };
    const ocr = tools.data.find((t) => t.name === "ocr");
    expect(ocr?.available).toBe(false);
    expect(tools.data.find((t) => t.name === "crop")?.available).toBe(true);
    // ListModels (here over the Connect protocol) lists it the same way.
    const listed = (await (
      await fetch(`${url}/vlmrun.agent.v1.AgentService/ListModels`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      })
    ).json()) as { tools: { name: string; available?: boolean; unavailableReason?: string }[] };
    const listedOcr = listed.tools.find((t) => t.name === "ocr");
    expect(listedOcr?.available ?? false).toBe(false);
    expect(listedOcr?.unavailableReason).toContain("npm run worker");

    // A worker that takes only the image toolset does not serve OCR.
    await startWorker({ ...env, ORION_WORKER_TOOLSETS: "image" });
    await untilWorkers(url, "image", 1);
    expect((await readyz(url)).tool_workers.document).toBe(0);

    const res = await postChat(url, ocrChat(await picture(["Hello"])), { "x-browser-id": "no-workers" });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("tool_workers_unavailable");
    expect(body.error.message).toContain("npm run worker");
    expect(body.error.message).toContain("ORION_TOOL_QUEUE");
  });

  it("Redis down: a queued call fails within the store's bound as the store's 503, never a wait", async () => {
    const own = await startRedis();
    const env = { ...sharedEnv(), REDIS_URL: own.url, ORION_TOOL_QUEUE: "redis" };
    const config = loadConfig(env);
    const queue = new ToolQueue(config.toolQueue, config.store, createMetrics(), createLogger("silent"));
    const tools = builtinTools(TEST_FETCH_POLICY);
    queue.offload(tools);
    // A worker's heartbeat (the real presence writer), so the call gets as far as enqueueing.
    const beats = new Redis(own.url);
    await new WorkerPresence(beats, queuePrefix(config.toolQueue, config.store)).beat("w1", [
      Toolset.DOCUMENT,
    ]);
    beats.disconnect();
    await queue.start(2_000);
    await own.stop();
    const ctx = toolHarness().ctx;
    const error = await tools
      .get("ocr")
      ?.execute({ image: "img_000000" }, ctx)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unavailable);
    expect((error as ConnectError).rawMessage).toContain("tool queue is unavailable");
    await queue.close();
  });

  it("runs on Redis Cluster with a hash-tagged queue prefix", async () => {
    const cluster = await startRedisCluster();
    try {
      const env = {
        REDIS_CLUSTER_NODES: cluster.nodes.join(","),
        ORION_REDIS_PREFIX: uniquePrefix(),
        ORION_TOOL_QUEUE_PREFIX: `tq-${randomBytes(4).toString("hex")}`,
        ORION_WORKER_CONCURRENCY: "1",
      };
      const { url } = await startApi(env);
      await startWorker(env);
      await untilWorkers(url, "document", 1);
      const res = await postChat(url, ocrChat(await picture(["Cluster ticket 7781"])), {
        "x-browser-id": "cluster",
      });
      expect(res.status).toBe(200);
      expect(await answerOf(res)).toContain("Cluster ticket 7781");
      // The queue's keys carry the hash tag (BullMQ's multi-key scripts would fail across slots).
      const tag = `{${env.ORION_TOOL_QUEUE_PREFIX}}:tools-document:`;
      const keys = (
        await Promise.all(
          cluster.nodes.map(async (address) => {
            const node = new Redis(Number(address.split(":")[1]));
            const found = await node.keys(`*${env.ORION_TOOL_QUEUE_PREFIX}*`);
            node.disconnect();
            return found;
          }),
        )
      ).flat();
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((k) => k.startsWith(`{${env.ORION_TOOL_QUEUE_PREFIX}}:`))).toBe(true);
      expect(keys.some((k) => k.startsWith(tag))).toBe(true);
    } finally {
      await Promise.all(started.workers.splice(0).map((w) => w.stop("SIGKILL")));
      await Promise.all(started.apps.splice(0).map((a) => a.shutdown(0)));
      await cluster.stop();
    }
  });
});
