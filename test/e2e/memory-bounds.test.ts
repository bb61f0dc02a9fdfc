import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../support/fake-upstream.js";
import { type ServerProcess, spawnServer } from "../support/server-process.js";
import { rssMiB } from "../support/stalled-stream.js";

// A server with a 256 MiB heap, fed far more text than that: what it keeps must stay within its
// byte budgets (the embedded store's sessions at 48 MiB here, 4 MiB per session), whoever sends it.
const MiB = 1024 * 1024;
const SESSION_BUDGET = 48 * MiB;
const PER_SESSION = 4 * MiB;
const KEY = "sk-memory-bounds-0001";
const RSS_BOUND_MIB = 700;

let upstream: FakeUpstream;
let server: ServerProcess;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  server = await spawnServer(
    {
      ORION_LLM_BASE_URL: upstream.url,
      ORION_LLM_MODEL: "fake-model",
      ORION_API_KEYS: `${KEY}=bounds:enterprise`,
      ORION_GUEST_DAILY_LIMIT: "1000000",
      // The in-process store is the one memory can run out in (the default keeps sessions on disk).
      ORION_DATA_DIR: ":memory:",
      ORION_EMBEDDED_MAX_SESSION_BYTES: String(SESSION_BUDGET),
      ORION_SESSION_MAX_BYTES: String(PER_SESSION),
    },
    ["--max-old-space-size=256"],
  );
}, 60_000);

afterAll(async () => {
  server?.stop();
  await upstream?.close();
});

async function chat(body: unknown, headers: Record<string, string>) {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  upstream.calls.splice(0); // the recorded upstream calls hold every text sent
  return { status: res.status, text: await res.text() };
}

async function storedSessionBytes(): Promise<number> {
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^orion_embedded_store_bytes\{kind="sessions"\} (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);
}

describe("what one caller sends cannot exhaust the server's memory", () => {
  it("refuses a guest's 31 MB message by the guest body cap, naming it, before anything is stored", async () => {
    const huge = JSON.stringify({ messages: [{ role: "user", content: `hello ${"x".repeat(31_000_000)}` }] });
    for (let i = 0; i < 10; i++) {
      const res = await chat(huge, { "x-browser-id": `oom${i}` });
      expect(res.status).toBe(413);
      expect(res.text).toContain("ORION_GUEST_MAX_BODY_BYTES");
    }
    expect(await storedSessionBytes()).toBe(0);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 120_000);

  it("refuses a guest's text over the guest text cap with a 422 at its field", async () => {
    const res = await chat(
      { messages: [{ role: "user", content: "y".repeat(100_000) }] },
      { "x-browser-id": "t1" },
    );
    expect(res.status).toBe(422);
    const detail = (JSON.parse(res.text) as { detail: { loc: unknown[]; msg: string }[] }).detail[0];
    expect(detail?.loc).toEqual(["body", "messages", 0, "content"]);
    expect(detail?.msg).toMatch(/100000 bytes.*at most 65536.*ORION_GUEST_MAX_TEXT_BYTES/);
  });

  it("keeps a signed-in caller's stored sessions within the budget, staying up and answering", async () => {
    const text = "z".repeat(3_900_000);
    const auth = { authorization: `Bearer ${KEY}` };
    // 100 sessions of 3.9 MB (390 MB in all, more than the heap) ...
    for (let i = 0; i < 100; i++) {
      const res = await chat({ messages: [{ role: "user", content: text }], session_id: `s${i}` }, auth);
      expect(res.status).toBe(200);
    }
    // ... and one session of 30 such messages.
    for (let i = 0; i < 30; i++) {
      const res = await chat({ messages: [{ role: "user", content: text }], session_id: "long" }, auth);
      expect(res.status).toBe(200);
    }
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await storedSessionBytes()).toBeLessThanOrEqual(SESSION_BUDGET);
    const long = await fetch(`${server.url}/v1/sessions/long`, { headers: auth });
    expect(long.status).toBe(200);
    const stored = (await long.json()) as { messages: { content: string }[] };
    expect(stored.messages.length).toBeGreaterThan(0);
    expect(JSON.stringify(stored).length).toBeLessThanOrEqual(PER_SESSION + 64 * 1024);
    expect(rssMiB(server.child.pid as number)).toBeLessThan(RSS_BOUND_MIB);
  }, 180_000);

  it("refuses a signed-in caller's text over ORION_MAX_TEXT_BYTES", async () => {
    const res = await chat(
      { messages: [{ role: "user", content: "q".repeat(4 * MiB + 1) }] },
      { authorization: `Bearer ${KEY}` },
    );
    expect(res.status).toBe(422);
    expect(res.text).toContain("ORION_MAX_TEXT_BYTES");
  });
});
