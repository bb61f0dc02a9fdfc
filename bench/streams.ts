// Holding many streams open: memory and event-loop delay (bench/sessions-memory.ts does sessions).
//   npm run bench:streams                 # 1,000 streams held 30 s each
//   BENCH_STREAMS=200 npm run bench:streams
// The upstream holds every streamed answer for 30 s (six pieces 5 s apart); the bench opens
// BENCH_STREAMS streaming chats at once on their own connections, and reports RSS growth per open
// stream, how many completed, and the event-loop delay p99 meanwhile (the server's own
// nodejs_eventloop_lag_p99_seconds, plus a /healthz probe on another connection); then the RSS per
// stream of the bare and the floor proxy (bench/baseline-proxy.ts, bench/floor-proxy.ts) holding
// the same streams, each with an upstream connection per stream as Orion has.
import { execFileSync } from "node:child_process";
import http from "node:http";
import { postJson, rssMiB, runBench, startProcess } from "./support.js";

const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/** One chat: resolves when its first byte arrives (`opened`) and when it has ended (`done`). */
function chat(url: string, stream: boolean) {
  const body = JSON.stringify({
    messages: [{ role: "user", content: "Say hello" }],
    max_tokens: 16,
    ...(stream ? { stream: true } : {}),
  });
  let opened!: () => void;
  const firstByte = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const done = postJson(agent, url, body, { authorization: "Bearer sk-bench-unlimited" }, opened).then(
    ({ status, text }) => status === 200 && (!stream || text.includes("data: [DONE]")),
    () => {
      opened();
      return false;
    },
  );
  return { firstByte, done };
}

async function lagP99(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(text)?.[1] ?? Number.NaN) * 1000;
}

/** Opens STREAMS streaming chats at once and holds them: RSS growth per open stream, and completions. */
async function holdStreams(endpoint: string, pid: number) {
  const rssBefore = rssMiB(pid);
  const opened = performance.now();
  const chats = Array.from({ length: STREAMS }, () => chat(endpoint, true));
  await Promise.all(chats.map((c) => c.firstByte));
  const openSeconds = (performance.now() - opened) / 1000;
  await new Promise((r) => setTimeout(r, 2_000));
  const kibPerStream = ((rssMiB(pid) - rssBefore) * 1024) / STREAMS;
  const completed = (await Promise.all(chats.map((c) => c.done))).filter(Boolean).length;
  return { rssBefore, kibPerStream, openSeconds, completed };
}

async function main() {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  console.log(
    `\nOrion Server streams and sessions benchmark — node ${process.version}, ${new Date().toISOString()}`,
  );

  // ---- part 1: open streams ----
  const slow = await startProcess(["--import", "tsx", "bench/upstream.ts"], {
    BENCH_UPSTREAM_GAP_MS: "5000",
  });
  const upstreamSockets = String(STREAMS + 64);
  const server = await startProcess(["dist/src/main.js"], {
    PORT: "0",
    ORION_LLM_BASE_URL: slow.url,
    ORION_LLM_MODEL: "bench-model",
    ORION_LLM_MAX_SOCKETS: upstreamSockets,
    ORION_API_KEYS: "sk-bench-unlimited=bench:enterprise",
  });
  const endpoint = `${server.url}/v1/openai/chat/completions`;
  for (let i = 0; i < 50; i++) await chat(endpoint, false).done; // warm up
  await new Promise((r) => setTimeout(r, 1_000));
  await lagP99(server.url); // resets the server's lag histogram
  const probes: number[] = [];
  const probing = setInterval(() => {
    const started = performance.now();
    fetch(`${server.url}/healthz`).then(
      async (r) => {
        await r.arrayBuffer();
        probes.push(performance.now() - started);
      },
      () => probes.push(Number.POSITIVE_INFINITY),
    );
  }, 100);
  const held = await holdStreams(endpoint, server.pid);
  clearInterval(probing);
  const lag = await lagP99(server.url);
  probes.sort((a, b) => a - b);
  const probeP99 = probes[Math.floor(probes.length * 0.99)] ?? Number.NaN;
  console.log(`\n## ${STREAMS} streaming chats held open (upstream: six pieces 5 s apart)`);
  console.log(`all ${STREAMS} had their first byte after ${held.openSeconds.toFixed(2)} s`);
  console.log(
    `RSS: ${held.rssBefore.toFixed(0)} MiB before → ${held.kibPerStream.toFixed(1)} KiB per open stream`,
  );
  console.log(`completed with [DONE]: ${held.completed} of ${STREAMS}`);
  console.log(
    `event-loop delay p99 meanwhile: ${lag.toFixed(1)} ms (server metric); /healthz probe p99 ${probeP99.toFixed(1)} ms over ${probes.length} probes`,
  );

  // The same streams through the two reference proxies of `npm run bench`, each also given an
  // upstream connection per stream: what holding a stream costs before any of Orion's own layers.
  for (const [name, script] of [
    ["bare proxy", "bench/baseline-proxy.ts"],
    ["floor proxy", "bench/floor-proxy.ts"],
  ] as const) {
    const proxy = await startProcess(["--import", "tsx", script, slow.url], {
      BASELINE_MAX_SOCKETS: upstreamSockets,
      FLOOR_CONNECTIONS: upstreamSockets,
    });
    const proxied = `${proxy.url}/chat/completions`;
    for (let i = 0; i < 50; i++) await chat(proxied, false).done;
    await new Promise((r) => setTimeout(r, 1_000));
    const reference = await holdStreams(proxied, proxy.pid);
    console.log(
      `${name}: ${reference.kibPerStream.toFixed(1)} KiB per open stream, ${reference.completed} of ${STREAMS} completed`,
    );
  }
}

runBench(main, { cleanup: () => agent.destroy() });
