import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackgroundWrites } from "../../src/service/background-writes.js";
import { type PrivateRedis, startRedis } from "../support/redis.js";
import { hello, postChat, startServer, uniquePrefix } from "../support/server.js";

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

describe("the session append is off the reply's path, and never lost", () => {
  it("a next turn sent the moment the answer arrives sees the previous one", async () => {
    const server = await startServer({ REDIS_URL: redis.url, ORION_REDIS_PREFIX: uniquePrefix() });
    const guest = { "x-browser-id": "background-writes-1" };
    try {
      let sessionId = "";
      for (let turn = 1; turn <= 20; turn++) {
        const body = {
          messages: [{ role: "user", content: `turn ${turn}` }],
          session_id: sessionId || undefined,
        };
        const reply = (await (await postChat(server.url, body, guest)).json()) as { session_id: string };
        sessionId = reply.session_id;
        // What the upstream was sent for this turn: every earlier turn, question and answer (the
        // server's own system note about its tools aside).
        const sent = server.upstream.calls.at(-1)?.body.messages as { role: string }[];
        expect(sent.filter((m) => m.role !== "system").length).toBe(2 * turn - 1);
      }
    } finally {
      await server.close();
    }
  });

  it("shutdown waits for appends still on their way, so the conversation is whole afterwards", async () => {
    const prefix = uniquePrefix();
    const guest = { "x-browser-id": "background-writes-2" };
    const first = await startServer({ REDIS_URL: redis.url, ORION_REDIS_PREFIX: prefix });
    const reply = (await (await postChat(first.url, hello, guest)).json()) as { session_id: string };
    await first.close();
    const second = await startServer({ REDIS_URL: redis.url, ORION_REDIS_PREFIX: prefix });
    try {
      const session = (await (
        await fetch(`${second.url}/v1/sessions/${reply.session_id}`, { headers: guest })
      ).json()) as { messages: { role: string }[] };
      expect(session.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    } finally {
      await second.close();
    }
  });

  it("drain waits for pending writes, and gives up after its deadline", async () => {
    const writes = new BackgroundWrites();
    let finished = false;
    writes.track(new Promise((resolve) => setTimeout(resolve, 50)).then(() => (finished = true)));
    writes.track(new Promise(() => undefined)); // never settles
    expect(writes.size).toBe(2);
    await writes.drain(300);
    // The finished write was waited for; the one that never settles was given up on, not awaited forever.
    expect(finished).toBe(true);
    expect(writes.size).toBe(1);
  });
});
