import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamText } from "../support/fake-upstream.js";
import { startProbe } from "../support/probe.js";
import { startServer, type TestServer } from "../support/server.js";

const alice = "orion_sk_attack_alice";
const bob = "orion_sk_attack_bob";
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ ORION_API_KEYS: `${alice}=alice:pro,${bob}=bob:pro` });
  // A run that lasts (30 s of text), so its event streams stay open.
  server.upstream.script((call, res) =>
    streamText(
      call,
      res,
      Array.from({ length: 120 }, (_, i) => `w${i} `),
      undefined,
      250,
    ),
  );
});
afterAll(async () => {
  await server?.close();
});

async function submit(key: string): Promise<string> {
  const res = await fetch(`${server.url}/v1/agent/execute`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ batch: true, config: { prompt: "take your time" } }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

async function watch(key: string, id: string) {
  const controller = new AbortController();
  const res = await fetch(`${server.url}/v1/agent/executions/${id}/events`, {
    headers: { authorization: `Bearer ${key}` },
    signal: controller.signal,
  });
  return { status: res.status, res, close: () => controller.abort() };
}

describe("attacks on execution events", () => {
  it("one caller cannot hold unbounded event streams: past 64 it gets 429, others still watch", async () => {
    const mine = await submit(alice);
    const theirs = await submit(bob);
    const stop = startProbe(server.url);
    const held = await Promise.all(Array.from({ length: 64 }, () => watch(alice, mine)));
    expect(held.map((w) => w.status)).toEqual(Array(64).fill(200));
    const extra = await watch(alice, mine);
    expect(extra.status).toBe(429);
    expect(((await extra.res.json()) as { error: { message: string } }).error.message).toContain(
      "already watches 64",
    );
    const other = await watch(bob, theirs);
    expect(other.status).toBe(200);
    held[0]?.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = await watch(alice, mine);
    expect(again.status).toBe(200);
    for (const w of [...held, other, again]) w.close();
    const probe = await stop();
    expect(probe.failures).toBe(0);
    expect(probe.worstMs).toBeLessThan(1_000);
  });
});
