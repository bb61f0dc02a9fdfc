// A/B: two server builds (or two settings) behind one fake upstream, measured in alternating
// rounds, each round in both orders, so a machine whose speed drifts (as shared 2-core machines
// do by ±40 %) affects both alike. Prints median req/s and the server's CPU µs per request.
//   git worktree add /tmp/old HEAD~1 && (cd /tmp/old && npm ci && npm run build)
//   BENCH_A=/tmp/old/dist/src/main.js npm run bench:ab          # B defaults to this checkout's dist
//   BENCH_B_ENV='{"ORION_LOG_LEVEL":"error"}' npm run bench:ab   # one build, two settings
//   BENCH_STREAM=1 BENCH_GUEST=1 BENCH_CONNECTIONS=10 BENCH_ROUNDS=6 npm run bench:ab
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chatBody, loadWithCpu, runBench, startProcess, startServer } from "./support.js";

const entry = { A: process.env.BENCH_A ?? "dist/src/main.js", B: process.env.BENCH_B ?? "dist/src/main.js" };
const env = {
  A: JSON.parse(process.env.BENCH_A_ENV ?? "{}") as Record<string, string>,
  B: JSON.parse(process.env.BENCH_B_ENV ?? "{}") as Record<string, string>,
};
const stream = process.env.BENCH_STREAM === "1";
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const who: Record<string, string> =
  process.env.BENCH_GUEST === "1"
    ? { "x-browser-id": "bench-ab" }
    : { authorization: "Bearer sk-bench-unlimited" };
const body = chatBody(stream);

type Server = { url: string; pid: number };

async function run(server: Server, duration: number) {
  const { result, cpuUs } = await loadWithCpu(`${server.url}/v1/openai/chat/completions`, server.pid, {
    connections,
    seconds: duration,
    headers: who,
    body,
  });
  if (result.non2xx + result.errors > 0) throw new Error(`${result.non2xx + result.errors} failed requests`);
  return { rps: result.requests.average, cpuUs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main() {
  const upstream = await startProcess(["--import", "tsx", "bench/upstream.ts"]);
  const common = {
    ORION_LLM_BASE_URL: upstream.url,
    ORION_LLM_MODEL: "bench-model",
    ORION_API_KEYS: "sk-bench-unlimited=bench:enterprise",
    ORION_GUEST_DAILY_LIMIT: "1000000000",
    ORION_PLAYGROUND: "off",
    ORION_LOG_LEVEL: "info",
  };
  // Each server on an embedded store of its own (unless its env names one), not the checkout's data/.
  const dataDir = () => ({ ORION_DATA_DIR: mkdtempSync(join(tmpdir(), "orion-bench-ab-")) });
  const servers = {
    A: await startServer(entry.A, { ...common, ...dataDir(), ...env.A }),
    B: await startServer(entry.B, { ...common, ...dataDir(), ...env.B }),
  };
  for (const server of Object.values(servers)) await run(server, 2); // warm-up
  const figures = { A: [] as { rps: number; cpuUs: number }[], B: [] as { rps: number; cpuUs: number }[] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (["A", "B"] as const) : (["B", "A"] as const);
    for (const name of order) figures[name].push(await run(servers[name], seconds));
  }
  console.log(
    `\nA/B, ${rounds} rounds of ${seconds} s, ${connections} connections, ${stream ? "streaming" : "plain"}, ${who.authorization ? "key" : "guest"}`,
  );
  console.log(
    "| | server | median req/s | median CPU µs/req | CPU µs/req per round |\n|---|---|---|---|---|",
  );
  for (const name of ["A", "B"] as const) {
    const label = `${entry[name]} ${Object.keys(env[name]).length ? JSON.stringify(env[name]) : ""}`.trim();
    console.log(
      `| ${name} | ${label} | ${median(figures[name].map((f) => f.rps)).toFixed(0)} | ${median(figures[name].map((f) => f.cpuUs)).toFixed(0)} | ${figures[name].map((f) => f.cpuUs.toFixed(0)).join(" ")} |`,
    );
  }
}

runBench(main, { signal: "SIGKILL" });
