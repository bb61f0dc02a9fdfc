// Where a chat's CPU goes: a server build under load with --cpu-prof, its main thread's profile
// summed by function and by file (self time per request), the src/ functions by inclusive time,
// and the CPU each of its threads spent per request (main, V8's helpers, the store's checkpoint
// thread). The profiler samples wall time: on a loaded machine a thread waiting for a core counts
// as busy, so the profile's µs run above the thread's CPU; read its shares, and the thread figures
// for cost.
//   npm run bench:profile                                   # plain chats with a key, 10 connections
//   BENCH_STREAM=1 BENCH_GUEST=1 BENCH_CONNECTIONS=1 npm run bench:profile
//   BENCH_ENV='{"ORION_DATA_DIR":":memory:"}' npm run bench:profile   # the in-process store
//   BENCH_PROFILE=0 npm run bench:profile                   # per-thread CPU only, no profiler
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { chatBody, runBench, startProcess, startServer, statCpuSeconds } from "./support.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PROFILE = process.env.BENCH_PROFILE !== "0";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** CPU seconds each thread of `pid` has used, by "tid:name". */
function threadCpuSeconds(pid: number): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const statFile = `/proc/${pid}/task/${tid}/stat`;
    const name = /\((.*)\)/.exec(readFileSync(statFile, "utf8"))?.[1] ?? "?";
    seconds.set(`${tid}:${name}`, statCpuSeconds(statFile));
  }
  return seconds;
}

const shortUrl = (url: string) =>
  (url || "(native)")
    .replace(/^file:\/\/.*?\/dist\//, "")
    .replace(/^.*node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*/, "npm:$1");

function report(profile: CpuProfile, requests: number): void {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)") continue;
    busy += us;
    const file = shortUrl(frame.url);
    const name = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = nodes.get(at)?.callFrame;
      if (!f?.url.includes("/dist/src/")) continue;
      const key = `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}:${f.lineNumber}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const top = (title: string, m: Map<string, number>, n: number) => {
    console.log(`\n## ${title} (µs per request, share of busy time)`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
      console.log(
        `${(us / requests).toFixed(1).padStart(7)} ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${k}`,
      );
    }
  };
  console.log(`\nmain thread not idle (wall time, profiled): ${(busy / requests).toFixed(0)} µs per request`);
  top("self time by file", byFile, 25);
  top("self time by function", byFunction, 40);
  top("inclusive time of src/ functions", inclusive, 40);
}

async function main() {
  const upstream = await startProcess(["--import", "tsx", "bench/upstream.ts"]);
  const profiles = mkdtempSync(join(tmpdir(), "orion-profile-"));
  mkdirSync(profiles, { recursive: true });
  const server = await startServer(
    "dist/src/main.js",
    {
      ORION_LLM_BASE_URL: upstream.url,
      ORION_LLM_MODEL: "bench-model",
      ORION_API_KEYS: "sk-bench-unlimited=bench:enterprise",
      ORION_GUEST_DAILY_LIMIT: "1000000000",
      ORION_DATA_DIR: mkdtempSync(join(tmpdir(), "orion-bench-profile-")),
      ORION_PLAYGROUND: "off",
      ...(JSON.parse(process.env.BENCH_ENV ?? "{}") as Record<string, string>),
    },
    PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${profiles}`, "--cpu-prof-interval=200"] : [],
  );
  const headers: Record<string, string> =
    process.env.BENCH_GUEST === "1"
      ? { "x-browser-id": "bench-profile" }
      : { authorization: "Bearer sk-bench-unlimited" };
  const load = (seconds: number) =>
    autocannon({
      url: `${server.url}/v1/openai/chat/completions`,
      connections: CONNECTIONS,
      duration: seconds,
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: chatBody(process.env.BENCH_STREAM === "1"),
    });
  const warmUp = await load(2);
  const before = threadCpuSeconds(server.pid);
  const result = await load(SECONDS);
  const after = threadCpuSeconds(server.pid);
  const requests = result.requests.total;
  console.log(
    `${requests} requests in ${SECONDS} s at ${CONNECTIONS} connections (${result.non2xx} not 2xx)${PROFILE ? ", profiled" : ""}`,
  );
  console.log("\n## CPU per request by thread (user + system)");
  for (const [thread, seconds] of after) {
    const us = ((seconds - (before.get(thread) ?? 0)) * 1e6) / requests;
    if (us >= 1) console.log(`${us.toFixed(0).padStart(7)} µs  ${thread}`);
  }
  if (!PROFILE) return;
  process.kill(server.pid, "SIGTERM"); // the profiles are written as the process exits
  for (let i = 0; i < 150 && existsSync(`/proc/${server.pid}`); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Each thread writes one (the store's checkpoint thread too): the main thread's is the largest.
  const file = readdirSync(profiles)
    .map((name) => ({ name, size: statSync(join(profiles, name)).size }))
    .sort((a, b) => b.size - a.size)[0]?.name;
  if (!file) throw new Error("the server wrote no profile");
  // The profile spans the process's whole life: its requests are the warm-up's and the run's
  // (start-up is in it too, so its per-request figures are a little high; compare shares).
  const profiled = requests + warmUp.requests.total;
  report(JSON.parse(readFileSync(join(profiles, file), "utf8")) as CpuProfile, profiled);
}

runBench(main);
