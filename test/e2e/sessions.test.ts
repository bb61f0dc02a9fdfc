import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { loadConfig } from "../../src/config.js";
import { type PrivateCluster, type PrivateRedis, startRedis, startRedisCluster } from "../support/redis.js";
import { postChat, sseData, startServer, type TestServer, uniquePrefix } from "../support/server.js";

let redis: PrivateRedis;
let cluster: PrivateCluster;
beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

const alice = { "x-browser-id": "alice-browser" };
const mallory = { "x-browser-id": "mallory-browser" };
const say = (content: string, extra: Record<string, unknown> = {}) => ({
  messages: [{ role: "user", content }],
  ...extra,
});

type Stored = { session_id: string; messages: { role: string; content: string }[] };

describe.each([
  ["standalone Redis", () => ({ REDIS_URL: redis.url })],
  ["a Redis Cluster", () => ({ REDIS_CLUSTER_NODES: cluster.nodes.join(",") })],
])("sessions on %s", (_name, storeEnv) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      ...storeEnv(),
      ORION_REDIS_PREFIX: uniquePrefix(),
      ORION_SESSION_MAX_MESSAGES: "50",
    });
  });
  afterAll(() => server?.close());

  it("creates a session, then continues it with the history sent upstream first", async () => {
    const first = (await (await postChat(server.url, say("My name is Ada."), alice)).json()) as {
      session_id: string;
    };
    const sessionId = first.session_id;
    await postChat(server.url, say("What is my name?", { session_id: sessionId, stream: true }), alice).then(
      (r) => r.text(),
    );
    const sent = server.upstream.calls.at(-1)?.body.messages as { role: string; content: string }[];
    expect(sent).toEqual([
      { role: "user", content: "My name is Ada." },
      { role: "assistant", content: "Hello from the fake upstream." },
      { role: "user", content: "What is my name?" },
    ]);
    const stored = (await (
      await fetch(`${server.url}/v1/sessions/${sessionId}`, { headers: alice })
    ).json()) as Stored;
    expect(stored.session_id).toBe(sessionId);
    expect(stored.messages.map((m) => [m.role, m.content])).toEqual([
      ["user", "My name is Ada."],
      ["assistant", "Hello from the fake upstream."],
      ["user", "What is my name?"],
      ["assistant", "Hello from the fake upstream."],
    ]);
  });

  it("keeps a client-chosen session id", async () => {
    const reply = (await (
      await postChat(server.url, say("hi", { session_id: "chosen-id-1" }), alice)
    ).json()) as {
      session_id: string;
    };
    expect(reply.session_id).toBe("chosen-id-1");
    expect((await fetch(`${server.url}/v1/sessions/chosen-id-1`, { headers: alice })).status).toBe(200);
  });

  it("hides a session from every other caller, on REST and RPC", async () => {
    const { session_id: id } = (await (await postChat(server.url, say("secret"), alice)).json()) as {
      session_id: string;
    };
    expect((await fetch(`${server.url}/v1/sessions/${id}`, { headers: mallory })).status).toBe(404);
    expect(
      (await fetch(`${server.url}/v1/sessions/${id}`, { method: "DELETE", headers: mallory })).status,
    ).toBe(404);
    const client = createClient(AgentService, createGrpcTransport({ baseUrl: server.url }));
    const error = ConnectError.from(
      await client.getSession({ sessionId: id }, { headers: mallory }).catch((e: unknown) => e),
    );
    expect(error.code).toBe(Code.NotFound);
    // The same id from another caller names another conversation: no history, no squatting.
    const continued = await postChat(server.url, say("tell me", { session_id: id }), mallory);
    expect(continued.status).toBe(200);
    const sent = server.upstream.calls.at(-1)?.body.messages as { role: string; content: string }[];
    expect(sent.filter((m) => m.role !== "system").map((m) => m.content)).toEqual(["tell me"]);
    const hers = await client.getSession({ sessionId: id }, { headers: mallory });
    expect(hers.session?.messages.map((m) => m.content)).toEqual([
      "tell me",
      "Hello from the fake upstream.",
    ]);
    const mine = await client.getSession({ sessionId: id }, { headers: alice });
    expect(mine.session?.messages.map((m) => m.role)).toEqual([Role.USER, Role.ASSISTANT]);
    expect(mine.session?.messages[0]?.content).toBe("secret");
    // Alice keeps using her id, unaffected by Mallory's conversation under the same name.
    expect((await postChat(server.url, say("more", { session_id: id }), alice)).status).toBe(200);
    const after = await client.getSession({ sessionId: id }, { headers: alice });
    expect(after.session?.messages).toHaveLength(4);
  });

  it("appends concurrent turns without losing any", async () => {
    const { session_id: id } = (await (await postChat(server.url, say("start"), alice)).json()) as {
      session_id: string;
    };
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => postChat(server.url, say(`turn ${i}`, { session_id: id }), alice)),
    );
    const stored = (await (
      await fetch(`${server.url}/v1/sessions/${id}`, { headers: alice })
    ).json()) as Stored;
    expect(stored.messages).toHaveLength(22);
    const turns = stored.messages.filter((m) => m.role === "user").map((m) => m.content);
    expect(new Set(turns)).toEqual(new Set(["start", ...Array.from({ length: 10 }, (_, i) => `turn ${i}`)]));
  });

  it("deletes a session", async () => {
    const { session_id: id } = (await (await postChat(server.url, say("bye"), alice)).json()) as {
      session_id: string;
    };
    const deleted = await fetch(`${server.url}/v1/sessions/${id}`, { method: "DELETE", headers: alice });
    expect(await deleted.json()).toEqual({ deleted: true });
    expect((await fetch(`${server.url}/v1/sessions/${id}`, { headers: alice })).status).toBe(404);
  });

  it("keeps guest quota exact on this store", async () => {
    const limited = await startServer({
      ...storeEnv(),
      ORION_REDIS_PREFIX: uniquePrefix(),
      ORION_GUEST_DAILY_LIMIT: "4",
    });
    try {
      // Many browser ids spread their counters over many slots; each stays exact.
      const ids = Array.from({ length: 8 }, (_, i) => `spread-${i}`);
      const statuses = await Promise.all(
        ids.flatMap((id) =>
          Array.from({ length: 6 }, () =>
            postChat(limited.url, say("x"), { "x-browser-id": id }).then((r) => [id, r.status] as const),
          ),
        ),
      );
      for (const id of ids) {
        expect(statuses.filter(([who, s]) => who === id && s === 200)).toHaveLength(4);
        expect(statuses.filter(([who, s]) => who === id && s === 429)).toHaveLength(2);
      }
    } finally {
      await limited.close();
    }
  });
});

describe("session expiry", () => {
  it("forgets a session after ORION_SESSION_TTL_SECONDS", async () => {
    const server = await startServer({
      REDIS_URL: redis.url,
      ORION_REDIS_PREFIX: uniquePrefix(),
      ORION_SESSION_TTL_SECONDS: "1",
    });
    try {
      const { session_id: id } = (await (await postChat(server.url, say("short-lived"), alice)).json()) as {
        session_id: string;
      };
      const read = async () => (await fetch(`${server.url}/v1/sessions/${id}`, { headers: alice })).status;
      expect(await read()).toBe(200);
      // Gone after the TTL: a wide margin, for a machine busy enough to delay the last write or a
      // timer by far more than the 300 ms this once allowed.
      await new Promise((r) => setTimeout(r, 1_000));
      await expect.poll(read, { timeout: 10_000, interval: 250 }).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("works on the embedded store too (no Redis configured)", async () => {
    const server = await startServer();
    try {
      const res = await postChat(server.url, say("embedded", { stream: true }), alice);
      const id = JSON.parse(sseData(await res.text())[0] ?? "{}").session_id as string;
      const stored = (await (
        await fetch(`${server.url}/v1/sessions/${id}`, { headers: alice })
      ).json()) as Stored;
      expect(stored.messages.map((m) => m.content)).toEqual(["embedded", "Hello from the fake upstream."]);
    } finally {
      await server.close();
    }
  });
});

describe("sessions on the embedded store", () => {
  it("keeps at most ORION_EMBEDDED_MAX_SESSIONS, dropping the least recently used", async () => {
    const server = await startServer({ ORION_EMBEDDED_MAX_SESSIONS: "100" });
    try {
      const chat = async (sessionId?: string) => {
        const res = await postChat(server.url, say("hi", sessionId ? { session_id: sessionId } : {}), alice);
        expect(res.status).toBe(200);
        return ((await res.json()) as { session_id: string }).session_id;
      };
      const stored = async (id: string) =>
        (await fetch(`${server.url}/v1/sessions/${id}`, { headers: alice })).status;
      await chat("oldest");
      await chat("kept");
      for (let i = 0; i < 98; i++) await chat(); // 100 sessions: none dropped yet
      expect(await stored("oldest")).toBe(200);
      await chat("kept"); // used again: now the most recent
      // Appends are issued once each reply is out: the next request on the connection follows them.
      await chat(); // the 101st session: the least recently used one goes
      expect(await stored("oldest")).toBe(404);
      expect(await stored("kept")).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("refuses a limit out of range with a one-line error", () => {
    expect(() => loadConfig({ ORION_EMBEDDED_MAX_SESSIONS: "5" })).toThrow(
      /^ORION_EMBEDDED_MAX_SESSIONS must/,
    );
  });
});
