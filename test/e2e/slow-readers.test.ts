import type http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunk, type FakeUpstream, startFakeUpstream, startSse } from "../support/fake-upstream.js";
import { startProbe } from "../support/probe.js";
import { type ServerProcess, spawnServer } from "../support/server-process.js";
import { rssMiB, stalledStream } from "../support/stalled-stream.js";

// Streaming clients that never read, in front of an upstream that streams as fast as it is let:
// the server must pause the upstream (bytes sent bounded), keep its own memory bounded, answer
// everyone else meanwhile, and cut each stalled stream at the stall deadline.
const STREAMS = 4;
const OFFERED_MIB = 40; // what the upstream would send each stream if nothing stopped it
const STALL_MS = 5_000;
const MiB = 1024 * 1024;

let upstream: FakeUpstream;
let server: ServerProcess;
const sentPerCall: number[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream(async (call, res) => {
    const index = sentPerCall.push(0) - 1;
    startSse(res);
    const piece = "x".repeat(1_000);
    while ((sentPerCall[index] ?? 0) < OFFERED_MIB * MiB && !res.destroyed) {
      const data = `data: ${JSON.stringify(chunk(call, [{ index: 0, delta: { content: piece }, finish_reason: null }]))}\n\n`;
      sentPerCall[index] = (sentPerCall[index] ?? 0) + data.length;
      if (!res.write(data)) await drainedOrClosed(res);
    }
    if (!res.destroyed) res.end("data: [DONE]\n\n");
  });
  server = await spawnServer({
    ORION_LLM_BASE_URL: upstream.url,
    ORION_LLM_MODEL: "fake-model",
    ORION_GUEST_DAILY_LIMIT: "1000000",
    ORION_STREAM_STALL_TIMEOUT_MS: String(STALL_MS),
  });
}, 60_000);

afterAll(async () => {
  server?.stop();
  await upstream?.close();
});

/** The fake upstream's own backpressure: both listeners go once either fires. */
function drainedOrClosed(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("streams whose clients never read", () => {
  it("pause the upstream, stay bounded in memory, leave other callers served, and are cut at the stall deadline", async () => {
    const pid = server.child.pid as number;
    const rssBefore = rssMiB(pid);
    const stopProbe = startProbe(server.url, 20);
    const sockets = Array.from({ length: STREAMS }, () => stalledStream(server.url));
    const started = performance.now();
    // Every stream reaches the upstream (a loaded machine may take a while) ...
    for (let waited = 0; sentPerCall.length < STREAMS && waited < 10_000; waited += 50) await sleep(50);
    // ... then long enough for an upstream that is not held back to send far more than the bound.
    await sleep(3_000);
    const sent = [...sentPerCall];
    const rssDuring = rssMiB(pid);
    await sleep(500);
    // Held back: nothing more flows while the clients read nothing.
    expect(sentPerCall.reduce((a, b) => a + b, 0)).toBeLessThan(sent.reduce((a, b) => a + b, 0) + 2 * MiB);
    const probe = await stopProbe();

    expect(sent).toHaveLength(STREAMS);
    // Kernel socket buffers on both hops take a few MiB per stream; the server itself holds little.
    for (const bytes of sent) expect(bytes).toBeLessThan(16 * MiB);
    expect((rssDuring - rssBefore) / STREAMS).toBeLessThan(24);
    expect(probe.failures).toBe(0);
    expect(probe.worstMs).toBeLessThan(1_500);

    // The stall deadline ends every stream, and with it the upstream call.
    await Promise.all(upstream.calls.map((call) => call.aborted));
    const cutAfter = performance.now() - started;
    expect(cutAfter).toBeGreaterThanOrEqual(STALL_MS - 500);
    expect(cutAfter).toBeLessThan(STALL_MS + 10_000);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^orion_streams_stalled_total ${STREAMS}$`, "m"));
    for (const socket of sockets) socket.destroy();
  }, 45_000);
});
