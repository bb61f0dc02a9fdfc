import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectionOf, fillDisk } from "../support/disk-full.js";
import { holdWriteLock } from "../support/lock-holder.js";
import { startProbe } from "../support/probe.js";
import { startServer } from "../support/server.js";

// The durable embedded store's faults, on a real server and a real SQLite file: another process
// holding the write lock, and a full disk.

const guest = { "x-browser-id": "fault-guest" };

async function chat(url: string, content: string, sessionId?: string) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...guest },
    body: JSON.stringify({ messages: [{ role: "user", content }], session_id: sessionId }),
  });
  await res.arrayBuffer();
  return res.status;
}

const sessionStatus = async (url: string, id: string) =>
  (await fetch(`${url}/v1/sessions/${id}`, { headers: guest })).status;

const settledWithin = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe("the durable store while another process holds its write lock", () => {
  it("keeps the event loop free: writes wait on a timer, reads answer, and writes go through once it is released", async () => {
    const server = await startServer({ ORION_STORE_TIMEOUT_MS: "1500" });
    const dataDir = server.app.config.store.dataDir;
    try {
      expect(await chat(server.url, "before", "kept")).toBe(200);
      const stopProbe = startProbe(server.url, 5, 5_000);

      // Released before the timeout: the waiting chat is answered.
      const lock = await holdWriteLock(join(dataDir, "orion.db"));
      const waiting = chat(server.url, "while locked");
      expect(await settledWithin(waiting, 400)).toBe(false);
      expect(await sessionStatus(server.url, "kept")).toBe(200);
      await lock.release();
      expect(await waiting).toBe(200);

      // Held past ORION_STORE_TIMEOUT_MS: 503, and the server answers everything else meanwhile.
      const longer = await holdWriteLock(join(dataDir, "orion.db"));
      const started = performance.now();
      expect(await chat(server.url, "locked too long")).toBe(503);
      expect(performance.now() - started).toBeGreaterThanOrEqual(1_400);
      expect(await sessionStatus(server.url, "kept")).toBe(200);
      await longer.release();
      expect(await chat(server.url, "after", "kept")).toBe(200);

      const probe = await stopProbe();
      expect(probe.failures).toBe(0);
      expect(probe.count).toBeGreaterThan(50);
      expect(probe.worstMs).toBeLessThan(200);
      const faults = server.logs.filter((l) => String(l.msg).includes("write lock"));
      expect(faults).toHaveLength(1);
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe("the durable store on a full disk", () => {
  it("answers writes 503 with one log line, keeps reads, fails /readyz, stays sound, and recovers", async () => {
    const server = await startServer();
    try {
      expect(await chat(server.url, "before", "kept")).toBe(200);
      const giveBack = fillDisk(server.app.store);
      // This chat's quota count fits in place, its session turn needs room: the append meets
      // SQLITE_FULL, so the chat is refused rather than answered without its turn kept.
      expect(await chat(server.url, "x".repeat(32 * 1024), "grows")).toBe(503);
      expect(await sessionStatus(server.url, "grows")).toBe(404);
      for (let i = 0; i < 3; i++) expect(await chat(server.url, `refused ${i}`)).toBe(503);
      expect(await sessionStatus(server.url, "kept")).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const refusals = server.logs.filter((l) =>
        String(l.msg).startsWith("the durable store refuses writes"),
      );
      expect(refusals).toHaveLength(1);
      expect(String(refusals[0]?.msg)).toContain("disk is full");
      expect(connectionOf(server.app.store).pragma("integrity_check", { simple: true })).toBe("ok");

      giveBack();
      let ready = 0;
      for (let i = 0; i < 30 && ready !== 200; i++) {
        await new Promise((r) => setTimeout(r, 200));
        ready = (await fetch(`${server.url}/readyz`)).status;
      }
      expect(ready).toBe(200);
      expect(await chat(server.url, "x".repeat(32 * 1024), "grows")).toBe(200);
      expect(await sessionStatus(server.url, "grows")).toBe(200);
      expect(server.logs.some((l) => l.msg === "the durable store takes writes again")).toBe(true);
      expect(connectionOf(server.app.store).pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      await server.close();
    }
  }, 30_000);
});
