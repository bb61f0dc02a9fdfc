import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SseWriter } from "../../src/server/rest/chat/sse.js";

let server: http.Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

/** Serves one SSE response through `handle`; the client connects and never reads. */
async function withStalledClient(handle: (res: http.ServerResponse) => Promise<void>): Promise<void> {
  let served!: http.Server;
  const done = new Promise<void>((resolve, reject) => {
    served = http.createServer((_req, res) => handle(res).then(resolve, reject));
  });
  server = served;
  await new Promise<void>((resolve) => served.listen(0, "127.0.0.1", resolve));
  const { port } = served.address() as AddressInfo;
  http.get(`http://127.0.0.1:${port}/`, (res) => res.pause()).on("error", () => {});
  await done;
}

describe("SseWriter under backpressure", () => {
  it("waits once however many events are written while the socket is full", async () => {
    await withStalledClient(async (res) => {
      const writer = new SseWriter(res, { headers: () => ({}), stallTimeoutMs: 60_000 });
      const baseline = res.listenerCount("close");
      const piece = "x".repeat(64 * 1024);
      const waits = new Set<Promise<void>>();
      for (let i = 0; i < 200; i++) {
        const wait = writer.data(piece);
        if (wait) waits.add(wait);
      }
      expect(waits.size).toBe(1);
      expect(res.listenerCount("close") - baseline).toBe(1);
      res.destroy();
      await Promise.all(waits);
      expect(res.listenerCount("close") - baseline).toBe(0);
    });
  });

  it("cuts a client that takes nothing for the stall deadline, once", async () => {
    let stalls = 0;
    await withStalledClient(async (res) => {
      const writer = new SseWriter(res, {
        headers: () => ({}),
        stallTimeoutMs: 300,
        onStall: () => stalls++,
      });
      const piece = "x".repeat(64 * 1024);
      const started = performance.now();
      const waits: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) {
        const wait = writer.data(piece);
        if (wait) waits.push(wait);
      }
      await Promise.all(waits);
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      expect(res.destroyed).toBe(true);
    });
    expect(stalls).toBe(1);
  });
});
