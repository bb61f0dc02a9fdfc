import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QuotaFailureSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { defaultScript, sendJson, streamText } from "../support/fake-upstream.js";
import { type PrivateRedis, startRedis } from "../support/redis.js";
import { hello, postChat, sseData, startServer, type TestServer, uniquePrefix } from "../support/server.js";

const run = promisify(execFile);
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

const guest = (id: string) => ({ "x-browser-id": id });
const quotaOf = async (url: string, headers: Record<string, string>) =>
  (await (await fetch(`${url}/v1/quota`, { headers })).json()) as {
    used_today: number;
    remaining_today: number;
  };

describe("guest daily quota (Redis)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      REDIS_URL: redis.url,
      ORION_REDIS_PREFIX: uniquePrefix(),
      ORION_GUEST_DAILY_LIMIT: "3",
      ORION_API_KEYS: "sk-starter-0001=sam:starter,sk-enterprise-01=erin:enterprise",
      ORION_JWT_SECRET: "jwt-secret-for-quota-tests-0123456789",
    });
  });
  afterAll(() => server?.close());

  it("allows the limit, then answers 429 with Retry-After and RateLimit headers", async () => {
    for (let i = 0; i < 3; i++) {
      const ok = await postChat(server.url, hello, guest("g-limit"));
      expect(ok.status).toBe(200);
      expect(ok.headers.get("ratelimit-policy")).toBe('"guest-daily";q=3;w=86400');
      expect(ok.headers.get("ratelimit")).toMatch(new RegExp(`^"guest-daily";r=${2 - i};t=\\d+$`));
    }
    const refused = await postChat(server.url, hello, guest("g-limit"));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect(refused.headers.get("ratelimit")).toMatch(/^"guest-daily";r=0;t=\d+$/);
    const body = (await refused.json()) as { detail: string; error: { type: string; code: string } };
    expect(body.error).toMatchObject({ type: "rate_limit_error", code: "quota_exceeded" });
    expect(body.detail).toContain("3 chats per day");
    expect(await quotaOf(server.url, guest("g-limit"))).toMatchObject({ used_today: 3, remaining_today: 0 });
  });

  it("counts each browser id separately, honouring the X-Browser-Fingerprint alias", async () => {
    expect((await postChat(server.url, hello, guest("g-other"))).status).toBe(200);
    expect((await postChat(server.url, hello, { "x-browser-fingerprint": "g-other" })).status).toBe(200);
    expect(await quotaOf(server.url, guest("g-other"))).toMatchObject({ used_today: 2, remaining_today: 1 });
  });

  it("falls back to IP + User-Agent for guests without a browser id", async () => {
    const ua = { "user-agent": "quota-test-agent/1" };
    for (let i = 0; i < 3; i++) expect((await postChat(server.url, hello, ua)).status).toBe(200);
    expect((await postChat(server.url, hello, ua)).status).toBe(429);
    expect((await postChat(server.url, hello, { "user-agent": "another-agent/2" })).status).toBe(200);
  });

  it("does not count requests rejected by validation or auth", async () => {
    for (let i = 0; i < 5; i++)
      expect((await postChat(server.url, { messages: [] }, guest("g-valid"))).status).toBe(422);
    expect(
      (await postChat(server.url, hello, { ...guest("g-valid"), authorization: "Bearer bad-key-123" }))
        .status,
    ).toBe(401);
    expect(await quotaOf(server.url, guest("g-valid"))).toMatchObject({ used_today: 0 });
  });

  it("refunds a chat that failed on the server before any output", async () => {
    server.upstream.script((_call, res) => sendJson(res, 500, { error: { message: "down" } }));
    try {
      expect((await postChat(server.url, hello, guest("g-refund"))).status).toBe(502);
      expect((await postChat(server.url, { ...hello, stream: true }, guest("g-refund"))).status).toBe(502);
    } finally {
      server.upstream.script(defaultScript);
    }
    expect(await quotaOf(server.url, guest("g-refund"))).toMatchObject({ used_today: 0 });
  });

  it("returns the stored completion for a retry with the same id, charging once", async () => {
    const before = server.upstream.calls.length;
    type Reply = { id: string; session_id: string };
    const first = (await (
      await postChat(server.url, { ...hello, id: "retry-1" }, guest("g-idem"))
    ).json()) as Reply;
    const second = (await (
      await postChat(server.url, { ...hello, id: "retry-1" }, guest("g-idem"))
    ).json()) as Reply;
    expect(second).toEqual(first);
    expect(server.upstream.calls.length).toBe(before + 1);
    expect(await quotaOf(server.url, guest("g-idem"))).toMatchObject({ used_today: 1 });
    // Ids are per caller: another guest's same id is its own request.
    const other = (await (
      await postChat(server.url, { ...hello, id: "retry-1" }, guest("g-idem-2"))
    ).json()) as Reply;
    expect(other.session_id).not.toBe(first.session_id);
  });

  it("answers 409 to a concurrent duplicate while the first is running", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.upstream.script(async (call, res) => {
      await gate;
      sendJson(res, 200, {
        choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
        model: call.body.model,
      });
    });
    try {
      const first = postChat(
        server.url,
        { ...hello, id: "dup-1" },
        { authorization: "Bearer sk-enterprise-01" },
      );
      await until(() =>
        server.upstream.calls.some(
          (c) => (c.body.messages as unknown[]).length > 0 && c.wasAborted() === false,
        ),
      );
      const duplicate = await postChat(
        server.url,
        { ...hello, id: "dup-1" },
        { authorization: "Bearer sk-enterprise-01" },
      );
      expect(duplicate.status).toBe(409);
      release();
      expect((await first).status).toBe(200);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("replays a streamed request's answer for a retry with the same id, charging once", async () => {
    const before = server.upstream.calls.length;
    const streamed = (id: string) =>
      postChat(
        server.url,
        { ...hello, id, stream: true, stream_options: { include_usage: true } },
        guest("g-idem-stream"),
      ).then(async (res) => {
        expect(res.status).toBe(200);
        return sseData(await res.text())
          .filter((d) => d !== "[DONE]")
          .map(
            (d) =>
              JSON.parse(d) as {
                id: string;
                choices: { delta: { content?: string }; finish_reason: string | null }[];
                usage?: unknown;
              },
          );
      });
    const text = (chunks: Awaited<ReturnType<typeof streamed>>) =>
      chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    const first = await streamed("stream-retry-1");
    const again = await streamed("stream-retry-1");
    expect(server.upstream.calls.length).toBe(before + 1);
    expect(again[0]?.id).toBe(first[0]?.id);
    expect(text(again)).toBe(text(first));
    expect(again.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
    expect(again.at(-1)?.usage).toEqual(first.at(-1)?.usage);
    expect(await quotaOf(server.url, guest("g-idem-stream"))).toMatchObject({ used_today: 1 });
    // A whole answer and a streamed retry of it are the same request.
    const whole = (await (
      await postChat(server.url, { ...hello, id: "mixed-1" }, guest("g-idem-stream"))
    ).json()) as {
      id: string;
    };
    const replayed = await streamed("mixed-1");
    expect(replayed[0]?.id).toBe(whole.id);
    expect(server.upstream.calls.length).toBe(before + 2);
  });

  it("answers 409 to a streamed duplicate while the first is running", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.upstream.script(async (call, res) => {
      await gate;
      streamText(call, res, ["ok"]);
    });
    try {
      const body = { ...hello, id: "dup-stream-1", stream: true };
      const headers = { authorization: "Bearer sk-enterprise-01" };
      const first = postChat(server.url, body, headers);
      await until(() => server.upstream.calls.some((c) => c.body.stream === true && !c.wasAborted()));
      expect((await postChat(server.url, body, headers)).status).toBe(409);
      release();
      expect((await first).status).toBe(200);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("never caps API keys without an rpm limit or signed-in users", async () => {
    const token = await new SignJWT({ sub: "u-1" })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("jwt-secret-for-quota-tests-0123456789"));
    for (let i = 0; i < 6; i++) {
      expect((await postChat(server.url, hello, { authorization: "Bearer sk-enterprise-01" })).status).toBe(
        200,
      );
      expect((await postChat(server.url, hello, { authorization: `Bearer ${token}` })).status).toBe(200);
    }
  });

  it("limits a starter key to 10 requests per minute", async () => {
    const key = { authorization: "Bearer sk-starter-0001" };
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push((await postChat(server.url, hello, key)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    const refused = await postChat(server.url, hello, key);
    expect(refused.status).toBe(429);
    expect((await refused.json()) as object).toMatchObject({ error: { code: "rate_limited" } });
    expect(refused.headers.get("ratelimit-policy")).toBe('"key-minute";q=10;w=60');
  });

  it("tells gRPC callers RESOURCE_EXHAUSTED with QuotaFailure and RetryInfo", async () => {
    const client = createClient(AgentService, createGrpcTransport({ baseUrl: server.url }));
    const error = ConnectError.from(
      await client
        .createChatCompletion(
          { messages: [{ role: Role.USER, content: "hi" }] },
          { headers: guest("g-limit") },
        )
        .catch((e: unknown) => e),
    );
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.findDetails(QuotaFailureSchema)[0]?.violations[0]?.subject).toBe("guest:g-limit");
    expect(Number(error.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds)).toBeGreaterThan(0);
    const quota = await client.getQuota({}, { headers: guest("g-limit") });
    expect(quota).toMatchObject({ callerKind: "guest", dailyLimit: 3, usedToday: 3, remainingToday: 0 });
  });
});

describe("exactness across processes sharing one Redis", () => {
  const servers: ChildProcess[] = [];
  afterAll(() => {
    for (const s of servers) s.kill();
  });

  it("4 client processes × 50 concurrent chats, one browser id, two server processes → exactly 10", async () => {
    const { startFakeUpstream } = await import("../support/fake-upstream.js");
    const upstream = await startFakeUpstream();
    const prefix = uniquePrefix();
    const urls: string[] = [];
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
        env: {
          ...process.env,
          PORT: "0",
          REDIS_URL: redis.url,
          ORION_REDIS_PREFIX: prefix,
          ORION_GUEST_DAILY_LIMIT: "10",
          ORION_STORE_TIMEOUT_MS: "2000",
          ORION_LLM_BASE_URL: upstream.url,
          ORION_LLM_MODEL: "m",
        },
        stdio: ["ignore", "pipe", "inherit"],
      });
      servers.push(child);
      urls.push(await listeningUrl(child));
    }
    try {
      const outputs = await Promise.all(
        Array.from({ length: 4 }, () =>
          run(process.execPath, [
            "--import",
            "tsx",
            "test/support/quota-client.ts",
            "50",
            "same-browser",
            ...urls,
          ]),
        ),
      );
      const totals = outputs.map(
        (o) => JSON.parse(o.stdout) as { allowed: number; refused: number; other: number[] },
      );
      expect(totals.flatMap((t) => t.other)).toEqual([]);
      expect(totals.reduce((sum, t) => sum + t.allowed, 0)).toBe(10);
      expect(totals.reduce((sum, t) => sum + t.refused, 0)).toBe(190);
      // Another browser id is unaffected.
      expect((await postChat(urls[0] as string, hello, guest("someone-else"))).status).toBe(200);
    } finally {
      await upstream.close();
    }
  });
});

describe("when Redis goes down", () => {
  it("fails closed for guests by default: 503 quickly, not ready, alive, and recovers", async () => {
    const own = await startRedis();
    const server = await startServer({
      REDIS_URL: own.url,
      ORION_REDIS_PREFIX: uniquePrefix(),
      ORION_GUEST_DAILY_LIMIT: "5",
    });
    try {
      expect((await postChat(server.url, hello, guest("g-down"))).status).toBe(200);
      await own.stop();
      // "Quickly": a dead store is refused at once, far inside any client's patience (the bound is
      // generous for a busy machine; a wait for a timeout or a retry loop takes longer).
      let started = performance.now();
      const res = await postChat(server.url, hello, guest("g-down"));
      expect(res.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect((await res.json()) as object).toMatchObject({ error: { code: "store_unavailable" } });
      started = performance.now();
      const stream = await postChat(server.url, { ...hello, stream: true }, guest("g-down"));
      expect(stream.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/orion_quota_decisions_total\{caller="guest",decision="fail_closed"\} [1-9]/);

      await own.start();
      await until(async () => (await postChat(server.url, hello, guest("g-down"))).status === 200, 15_000);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await server.close();
      await own.stop();
    }
  });

  it("starting while Redis is unreachable: 503s, no crash, and serves once Redis is up", async () => {
    const own = await startRedis();
    await own.stop();
    // Serves after a bounded wait for the store; its commands are then issued before any connection.
    const server = await startServer({
      REDIS_URL: own.url,
      ORION_REDIS_PREFIX: uniquePrefix(),
      ORION_GUEST_DAILY_LIMIT: "5",
    });
    try {
      const refused = await Promise.all(
        Array.from({ length: 5 }, () => postChat(server.url, hello, guest("g-early"))),
      );
      expect(refused.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      await own.start();
      await until(async () => (await postChat(server.url, hello, guest("g-early"))).status === 200, 15_000);
    } finally {
      await server.close();
      await own.stop();
    }
  }, 30_000);

  it("serves API-key chats that need nothing stored, and 503s those that need the store", async () => {
    const own = await startRedis();
    const server = await startServer({
      REDIS_URL: own.url,
      ORION_REDIS_PREFIX: uniquePrefix(),
      ORION_API_KEYS: "sk-starter-down-1=sam:starter",
    });
    try {
      await own.stop();
      const key = { authorization: "Bearer sk-starter-down-1" };
      // The rpm limit fails open, and the turn's session write (after the reply) is only logged.
      const plain = await postChat(server.url, hello, key);
      expect(plain.status).toBe(200);
      expect(plain.headers.get("ratelimit")).toBeNull();
      server.upstream.script((call, res) => streamText(call, res));
      expect((await postChat(server.url, { ...hello, stream: true }, key)).status).toBe(200);
      server.upstream.script(defaultScript);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/orion_quota_decisions_total\{caller="api_key",decision="fail_open"\} 2/);
      // What a chat reads from the store cannot be made up: 503, naming the store, before any model call.
      const before = server.upstream.calls.length;
      for (const [body, store] of [
        [{ ...hello, session_id: "earlier-talk" }, "session store"],
        [{ ...hello, id: "once-only" }, "store"],
      ] as const) {
        const res = await postChat(server.url, body, key);
        expect(res.status).toBe(503);
        expect((await res.json()) as object).toMatchObject({
          error: { code: "store_unavailable", message: `the ${store} is unavailable; try again shortly` },
        });
      }
      expect(server.upstream.calls.length).toBe(before);
    } finally {
      await server.close();
      await own.stop();
    }
  });

  it("lets guests through with ORION_QUOTA_FAILURE_MODE=open, counted in a metric", async () => {
    const own = await startRedis();
    const server = await startServer({
      REDIS_URL: own.url,
      ORION_REDIS_PREFIX: uniquePrefix(),
      ORION_GUEST_DAILY_LIMIT: "5",
      ORION_QUOTA_FAILURE_MODE: "open",
    });
    try {
      await own.stop();
      expect((await postChat(server.url, hello, guest("g-open"))).status).toBe(200);
      server.upstream.script((call, res) => streamText(call, res));
      expect((await postChat(server.url, { ...hello, stream: true }, guest("g-open"))).status).toBe(200);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/orion_quota_decisions_total\{caller="guest",decision="fail_open"\} 2/);
    } finally {
      await server.close();
      await own.stop();
    }
  });
});

async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const url = /"url":"([^"]+)"/.exec(line)?.[1];
      if (url) resolve(url);
    });
  });
}
