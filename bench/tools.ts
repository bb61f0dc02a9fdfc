// Tool benchmark: cold and warm timings of every local tool on generated inputs, the process's
// memory with every model loaded, and whether a busy tool blocks other requests (plain-chat
// latency measured while OCR runs, against a server in its own process).
//   npm run bench:tools
//   BENCH_WARM_RUNS=10 npm run bench:tools
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { createInterface } from "node:readline";
import { configureToolIdle } from "../src/runtime/worker-pool.js";
import { degrade, makePdf, textImage } from "../test/support/documents.js";
import { toolHarness } from "../test/support/tool-harness.js";
import { makeVideo } from "../test/support/videos.js";

const WARM_RUNS = Number(process.env.BENCH_WARM_RUNS ?? 5);
/** The tools' idle time in this bench (ORION_TOOL_IDLE_MS, 5 min by default, is too long to wait). */
const IDLE_MS = Number(process.env.BENCH_TOOL_IDLE_MS ?? 3_000);
configureToolIdle(IDLE_MS);
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;
const rssMiB = () => Math.round(process.memoryUsage().rss / 1024 / 1024);

async function toolTimings() {
  const h = toolHarness();
  const page = await textImage([
    "Invoice 2041 for Acme Robotics",
    "Total due: 1,284.50 USD by March 3",
    "Contact billing@acme.example for help",
    "Ship to: 12 Harbour Road, Leith",
  ]);
  const ids = {
    page: await h.put(page, "image/png"),
    scan: await h.put(await degrade(page), "image/jpeg"),
    pdf: await h.put(
      await makePdf([
        { lines: ["Quarterly report", "North 1,200"] },
        { lines: ["Page two"] },
        { lines: ["Page three"] },
      ]),
      "application/pdf",
    ),
    video: await h.put(makeVideo(), "video/mp4"),
    face: await h.put(
      readFileSync(
        path.join(
          path.dirname(createRequire(import.meta.url).resolve("@vladmandic/face-api/package.json")),
          "demo",
          "sample1.jpg",
        ),
      ),
      "image/jpeg",
    ),
  };
  const cases: [string, string, Record<string, unknown>][] = [
    ["image_info", "1200×800 PNG", { image: ids.page }],
    ["crop", "1200×800 PNG", { image: ids.page, xywh: [0, 0, 0.5, 0.5] }],
    ["resize", "1200×800 PNG", { image: ids.page, width: 600 }],
    ["rotate", "1200×800 PNG", { image: ids.page, degrees: 90 }],
    [
      "blur_regions",
      "1200×800 PNG, 2 boxes",
      {
        image: ids.page,
        boxes: [
          [0.1, 0.1, 0.3, 0.2],
          [0.5, 0.5, 0.2, 0.2],
        ],
      },
    ],
    [
      "annotate",
      "1200×800 PNG, 2 boxes",
      { image: ids.page, boxes: [{ xywh: [0.1, 0.1, 0.3, 0.2], label: "a" }] },
    ],
    ["ocr", "1200×800 page", { image: ids.page }],
    ["ocr", "1200×800 noisy scan", { image: ids.scan }],
    ["layout", "1200×800 page", { image: ids.page }],
    ["pdf_info", "3-page PDF", { file: ids.pdf }],
    ["pdf_text", "3-page PDF", { file: ids.pdf }],
    ["pdf_render", "page 1 at 2×", { file: ids.pdf, page: 1 }],
    ["detect_faces", "face-api demo photo", { image: ids.face }],
    ["detect_objects", "face-api demo photo", { image: ids.face }],
    ["detect_pose", "face-api demo photo", { image: ids.face }],
    ["segment_person", "face-api demo photo", { image: ids.face }],
    ["overlay", "1200×800 PNG + mask", { image: ids.page, boxes: [{ xywh: [0.1, 0.1, 0.2, 0.2] }] }],
    ["chart", "3 bars, 800×500", { labels: ["a", "b", "c"], values: [1, 2, 3] }],
    ["video_probe", "12 s 320×240", { video: ids.video }],
    ["sample_frames", "4 frames", { video: ids.video, count: 4 }],
    ["scene_cuts", "12 s, 2 cuts", { video: ids.video }],
    ["trim", "4 s re-encoded", { video: ids.video, start: 3, duration: 4 }],
  ];
  console.log(`\nPer-tool timings (ms; cold = first call in this process, warm = median of ${WARM_RUNS})`);
  console.log("tool            input                      cold      warm");
  const seen = new Set<string>();
  for (const [tool, input, args] of cases) {
    const start = process.hrtime.bigint();
    await h.run(tool, args);
    const cold = ms(start);
    const warm: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      const t = process.hrtime.bigint();
      await h.run(tool, args);
      warm.push(ms(t));
    }
    const coldLabel = seen.has(tool) ? "    –" : cold.toFixed(0).padStart(5);
    seen.add(tool);
    console.log(
      `${tool.padEnd(15)} ${input.padEnd(26)} ${coldLabel}  ${median(warm).toFixed(0).padStart(8)}`,
    );
  }
  console.log(`\nRSS with every model loaded (this process and its worker threads): ${rssMiB()} MiB`);
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS + 6_000));
  (globalThis as { gc?: () => void }).gc?.();
  console.log(
    `RSS ${(IDLE_MS + 6_000) / 1000} s after the last tool call (idle time ${IDLE_MS / 1000} s) (worker threads and models released): ${rssMiB()} MiB`,
  );
}

function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { ...process.env, PORT: "0", ORION_GUEST_DAILY_LIMIT: "100000000", ORION_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const url = /"url":"([^"]+)"/.exec(line)?.[1];
      if (url) resolve({ url, child });
    });
  });
}

async function chat(url: string, body: unknown): Promise<number> {
  const start = process.hrtime.bigint();
  const res = await fetch(`${url}/v1/openai/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-browser-id": "bench-tools" },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`chat answered ${res.status}`);
  return ms(start);
}

async function blocking() {
  const { url, child } = await startServer();
  try {
    const plain = { messages: [{ role: "user", content: "Who are you?" }] };
    const page = await textImage(["Invoice 2041 for Acme Robotics", "Total due: 1,284.50 USD by March 3"]);
    const ocr = {
      toolsets: ["document"],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What text is in this image?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${page.toString("base64")}` } },
          ],
        },
      ],
    };
    await chat(url, ocr); // warm the OCR worker
    const idle: number[] = [];
    for (let i = 0; i < 200; i++) idle.push(await chat(url, plain));
    let running = true;
    let ocrDone = 0;
    const ocrLoop = (async () => {
      while (running) {
        await chat(url, ocr);
        ocrDone++;
      }
    })();
    const busy: number[] = [];
    // Keep asking until the OCR loop has finished at least 10 chats, so every OCR phase is covered.
    while (busy.length < 200 || ocrDone < 10) busy.push(await chat(url, plain));
    running = false;
    await ocrLoop;
    console.log("\nPlain chat latency while OCR runs in the same server (ms, sequential requests)");
    console.log(
      `  idle:      p50 ${median(idle).toFixed(2)}  p99 ${percentile(idle, 0.99).toFixed(2)}  max ${Math.max(...idle).toFixed(2)}`,
    );
    console.log(
      `  with OCR:  p50 ${median(busy).toFixed(2)}  p99 ${percentile(busy, 0.99).toFixed(2)}  max ${Math.max(...busy).toFixed(2)}  (${ocrDone} OCR chats meanwhile)`,
    );
  } finally {
    child.kill("SIGTERM");
  }
}

await toolTimings();
await blocking();
process.exit(0);
