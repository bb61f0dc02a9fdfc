import { Worker } from "node:worker_threads";

/** What a probe saw: the worst latency of any request, how many it sent, how many did not answer 200. */
export interface ProbeResult {
  worstMs: number;
  count: number;
  failures: number;
}

/**
 * GET /healthz every `everyMs` on its own keep-alive connection, from a worker thread: its event
 * loop is not the caller's, so a server (or a test) that stalls its own thread shows up as the
 * probe's latency instead of merely delaying the probe.
 */
const PROBE = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let worst = 0, failures = 0, count = 0, running = true;
parentPort.once("message", () => { running = false; });
(async () => {
  while (running) {
    const started = performance.now();
    const ok = await new Promise((resolve) => {
      const req = http.get(workerData.url + "/healthz", { agent, timeout: workerData.timeoutMs }, (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode === 200));
      });
      req.once("timeout", () => req.destroy());
      req.once("error", () => resolve(false));
    });
    worst = Math.max(worst, performance.now() - started);
    count++;
    if (!ok) failures++;
    await new Promise((r) => setTimeout(r, workerData.everyMs));
  }
  agent.destroy();
  parentPort.postMessage({ worstMs: worst, failures, count });
})();
`;

/** Starts probing `url`; the function returned stops it and resolves to what it saw. */
export function startProbe(url: string, everyMs = 10, timeoutMs = 10_000): () => Promise<ProbeResult> {
  const worker = new Worker(PROBE, { eval: true, workerData: { url, everyMs, timeoutMs } });
  return () =>
    new Promise<ProbeResult>((resolve, reject) => {
      worker.once("error", reject);
      worker.once("message", (result: ProbeResult) => {
        void worker.terminate();
        resolve(result);
      });
      worker.postMessage("stop");
    });
}

/** Runs `attack` while a probe asks `url`; resolves to the attack's result and what the probe saw. */
export async function probedWhile<T>(url: string, attack: () => Promise<T>, everyMs = 10) {
  const stop = startProbe(url, everyMs);
  try {
    return { result: await attack(), probe: await stop() };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
