// Fuzz bench: 10,000 seeded, mutated requests over REST and Connect (test/support/fuzz.ts) against
// the built server in its own process, 16 at a time. Prints the statuses seen, the 5xx that are
// faults of ours (target 0), hangs (target 0), and whether the server is healthy at the end.
//   npm run build && npm run bench:fuzz            # FUZZ_SEED=… FUZZ_COUNT=… to vary
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { startFakeUpstream } from "../test/support/fake-upstream.js";
import { fuzzRequest, isServerFault, sendFuzz } from "../test/support/fuzz.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const COUNT = Number(process.env.FUZZ_COUNT ?? 10_000);
const CONCURRENCY = 16;
let child: ChildProcess | undefined;

function startServer(env: Record<string, string>): Promise<string> {
  child = spawn(process.execPath, ["dist/src/main.js"], {
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  return new Promise((resolve, reject) => {
    child?.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
    lines.on("line", (line) => {
      const url = /"url":"([^"]+)"/.exec(line)?.[1];
      if (url) resolve(url);
      if (/"level":"error"/.test(line)) errorLines.push(line.slice(0, 300));
    });
  });
}

const errorLines: string[] = [];

async function main() {
  const upstream = await startFakeUpstream();
  const url = await startServer({
    ORION_LLM_BASE_URL: upstream.url,
    ORION_LLM_MODEL: "fake",
    ORION_GUEST_DAILY_LIMIT: "1000000000",
  });
  const statuses = new Map<number, number>();
  const faults: string[] = [];
  const gateway = new Map<string, number>();
  let hangs = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < COUNT) {
        const index = next++;
        const request = fuzzRequest(SEED, index);
        const outcome = await sendFuzz(url, request, 30_000);
        statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
        if (outcome.hung) hangs++;
        if (outcome.status >= 500) {
          const key = `${outcome.status} ${outcome.code ?? "?"}`;
          gateway.set(key, (gateway.get(key) ?? 0) + 1);
        }
        if (isServerFault(outcome) || outcome.status === -1)
          faults.push(
            `#${index} ${request.method} ${request.path} → ${outcome.status} ${outcome.code ?? ""}`,
          );
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const health = await fetch(`${url}/healthz`).then(
    (r) => r.status,
    () => 0,
  );
  console.log(
    `seed ${SEED}: ${COUNT} requests in ${seconds.toFixed(1)} s (${(COUNT / seconds).toFixed(0)}/s)`,
  );
  console.log(
    `statuses: ${[...statuses.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s === 0 ? "hung" : s === -1 ? "conn-error" : s}×${n}`)
      .join(", ")}`,
  );
  console.log(`5xx by error code: ${[...gateway.entries()].map(([k, n]) => `${k}×${n}`).join(", ")}`);
  console.log(`5xx faults of ours: ${faults.length}; hangs: ${hangs}; /healthz at the end: ${health}`);
  console.log(`error log lines: ${errorLines.length}`);
  for (const line of [...faults, ...errorLines].slice(0, 20)) console.log(`  ${line}`);
  await upstream.close();
  if (faults.length > 0 || hangs > 0 || health !== 200) process.exitCode = 1;
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => child?.kill("SIGKILL"));
