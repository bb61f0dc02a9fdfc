import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProbe } from "../support/probe.js";
import { startServer, type TestServer } from "../support/server.js";

const alice = "orion_sk_attack_alice";
const bob = "orion_sk_attack_bob";
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ ORION_API_KEYS: `${alice}=alice:pro,${bob}=bob:pro` });
});
afterAll(async () => {
  await server?.close();
});

/** Opens the standalone stream (GET /mcp) and resolves once its status is known; abort to close it. */
async function openStream(key: string) {
  const controller = new AbortController();
  const res = await fetch(`${server.url}/mcp`, {
    headers: { authorization: `Bearer ${key}`, accept: "text/event-stream" },
    signal: controller.signal,
  });
  return { status: res.status, res, close: () => controller.abort() };
}

describe("attacks on /mcp", () => {
  it("one caller cannot take every standalone stream: past its share it gets 429, others still get theirs", async () => {
    const stop = startProbe(server.url);
    const held = await Promise.all(Array.from({ length: 16 }, () => openStream(alice)));
    expect(held.map((s) => s.status)).toEqual(Array(16).fill(200));
    const extra = await openStream(alice);
    expect(extra.status).toBe(429);
    expect(((await extra.res.json()) as { error: { message: string } }).error.message).toContain(
      "16 open MCP streams",
    );
    const other = await openStream(bob);
    expect(other.status).toBe(200);
    // A closed stream gives its slot back.
    held[0]?.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = await openStream(alice);
    expect(again.status).toBe(200);
    for (const s of [...held, other, again]) s.close();
    const probe = await stop();
    expect(probe.failures).toBe(0);
    expect(probe.worstMs).toBeLessThan(1_000);
  });

  it("answers an empty JSON-RPC batch with 400 Invalid Request, not 202", async () => {
    const res = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${alice}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: "[]",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32600);
  });
});
