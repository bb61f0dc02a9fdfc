import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { defaultScript } from "../support/fake-upstream.js";
import { type PrivateRedis, startRedis } from "../support/redis.js";
import {
  freshDataDir,
  hello,
  postChat,
  startServer,
  type TestServer,
  uniquePrefix,
} from "../support/server.js";

const run = promisify(execFile);
const SECRET = "a-test-secret-of-decent-length-123456";
const secretKey = new TextEncoder().encode(SECRET);

function jwt(claims: Record<string, unknown>, key = secretKey, expiresIn: string | number = "1h") {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key);
}

let redis: PrivateRedis;
let server: TestServer;
let prefix: string;
beforeAll(async () => {
  redis = await startRedis();
  prefix = uniquePrefix();
  server = await startServer({
    REDIS_URL: redis.url,
    ORION_REDIS_PREFIX: prefix,
    ORION_JWT_SECRET: SECRET,
    ORION_API_KEYS: "sk-env-key-0001=envuser:pro",
    ORION_GUEST_DAILY_LIMIT: "100",
  });
});
afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function expect401(res: Response, mention: string) {
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="orion", error="invalid_token"/);
  const body = (await res.json()) as { detail: string; error: { type: string } };
  expect(body.error.type).toBe("authentication_error");
  expect(body.detail).toContain(mention);
}

describe("who is calling", () => {
  it("treats no Authorization as a guest", async () => {
    const res = await fetch(`${server.url}/v1/quota`, { headers: { "x-browser-id": "browser-1" } });
    expect(await res.json()).toMatchObject({
      caller_kind: "guest",
      plan: "guest",
      daily_limit: 100,
      used_today: 0,
    });
  });

  it.each([
    ["a non-Bearer scheme", { authorization: "Basic dXNlcjpwYXNz" }, "Bearer <token>"],
    ["an empty bearer", { authorization: "Bearer " }, "Bearer <token>"],
    ["an empty Authorization header", { authorization: "" }, "empty"],
    ["an unknown key", bearer("sk-not-a-real-key"), "not valid"],
  ])("refuses %s with 401, never falling back to guest", async (_name, headers, mention) => {
    await expect401(await postChat(server.url, hello, headers), mention);
  });

  it("accepts an ORION_API_KEYS key with its plan", async () => {
    const res = await fetch(`${server.url}/v1/quota`, { headers: bearer("sk-env-key-0001") });
    expect(await res.json()).toMatchObject({
      caller_kind: "api_key",
      plan: "pro",
      requests_per_minute: 100,
      daily_limit: null,
    });
  });

  it("accepts a stored key until it is revoked, on the very next request", async () => {
    const { key, record } = await server.app.apiKeys.create("alice", "enterprise");
    expect((await postChat(server.url, hello, bearer(key))).status).toBe(200);
    expect(await server.app.apiKeys.revoke(record.id)).toBe(true);
    await expect401(await postChat(server.url, hello, bearer(key)), "revoked");
  });

  it("accepts a valid signed-in JWT as a user with no daily cap", async () => {
    const token = await jwt({ sub: "user-42" });
    const res = await fetch(`${server.url}/v1/quota`, { headers: bearer(token) });
    expect(await res.json()).toMatchObject({
      caller_kind: "user",
      daily_limit: null,
      requests_per_minute: null,
    });
    expect((await postChat(server.url, hello, bearer(token))).status).toBe(200);
  });

  it.each([
    ["expired", () => jwt({ sub: "u" }, secretKey, Math.floor(Date.now() / 1000) - 60), "expired"],
    [
      "wrongly signed",
      () => jwt({ sub: "u" }, new TextEncoder().encode("another-secret-another-secret-1234")),
      "signature",
    ],
    ["without sub", () => jwt({ name: "x" }), "sub"],
    [
      "not yet valid",
      () =>
        new SignJWT({ sub: "u" })
          .setProtectedHeader({ alg: "HS256" })
          .setNotBefore(Math.floor(Date.now() / 1000) + 3600)
          .setExpirationTime("2h")
          .sign(secretKey),
      "nbf",
    ],
    [
      "without an expiry",
      () => new SignJWT({ sub: "u" }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().sign(secretKey),
      "no exp claim",
    ],
  ])("refuses a JWT that is %s", async (_name, make, mention) => {
    await expect401(await postChat(server.url, hello, bearer(await make())), mention);
  });

  it("refuses bad tokens on gRPC with UNAUTHENTICATED, before any work", async () => {
    const client = createClient(AgentService, createGrpcTransport({ baseUrl: server.url }));
    const before = server.upstream.calls.length;
    const error = ConnectError.from(
      await client
        .createChatCompletion(
          { messages: [{ role: Role.USER, content: "hi" }] },
          { headers: bearer("nope-nope-nope") },
        )
        .catch((e: unknown) => e),
    );
    expect(error.code).toBe(Code.Unauthenticated);
    expect(server.upstream.calls.length).toBe(before);
    const ok = await client.getQuota({}, { headers: bearer(await jwt({ sub: "grpc-user" })) });
    expect(ok.callerKind).toBe("user");
  });
});

describe("a server without JWT settings", () => {
  it("says which setting enables signed-in tokens", async () => {
    const plain = await startServer({ ORION_GUEST_DAILY_LIMIT: "5" });
    try {
      await expect401(await postChat(plain.url, hello, bearer(await jwt({ sub: "u" }))), "ORION_JWT_SECRET");
    } finally {
      await plain.close();
    }
  });
});

describe("the orion keys CLI", () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      env: { ...process.env, REDIS_URL: redis.url, ORION_REDIS_PREFIX: prefix, ...env },
    });

  it("creates, lists and revokes keys the running server honours", async () => {
    const created = JSON.parse((await cli(["keys", "create", "--user", "bob", "--plan", "starter"])).stdout);
    expect(created).toMatchObject({ user: "bob", plan: "starter", source: "store" });
    // The API's field names (GET /v1/sessions, /v1/artifacts/list): created_at, never createdAt.
    expect(created.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(created).not.toHaveProperty("createdAt");
    expect(created.key).toMatch(/^orion_sk_/);
    const quota = await fetch(`${server.url}/v1/quota`, { headers: bearer(created.key) });
    expect(await quota.json()).toMatchObject({
      caller_kind: "api_key",
      plan: "starter",
      requests_per_minute: 10,
    });

    const listed = (await cli(["keys", "list"])).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(listed.map((k: { id: string }) => k.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(listed.find((k: { id: string }) => k.id === created.id)).toEqual({
      id: created.id,
      user: "bob",
      plan: "starter",
      created_at: created.created_at,
      source: "store",
    });

    await cli(["keys", "revoke", created.id]);
    expect((await fetch(`${server.url}/v1/quota`, { headers: bearer(created.key) })).status).toBe(401);
    await expect(cli(["keys", "revoke", created.id])).rejects.toMatchObject({ code: 1 });
  });

  it("without Redis, manages keys in the data directory the server reads", async () => {
    const dir = freshDataDir();
    const local = (args: string[]) =>
      run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
        env: { ...process.env, REDIS_URL: "", REDIS_CLUSTER_NODES: "", ORION_DATA_DIR: dir },
      });
    const created = JSON.parse((await local(["keys", "create", "--user", "dora", "--plan", "pro"])).stdout);
    const onDisk = await startServer({ ORION_DATA_DIR: dir });
    try {
      const quota = await fetch(`${onDisk.url}/v1/quota`, { headers: bearer(created.key) });
      expect(await quota.json()).toMatchObject({ caller_kind: "api_key", plan: "pro" });
      await local(["keys", "revoke", created.id]);
      expect((await fetch(`${onDisk.url}/v1/quota`, { headers: bearer(created.key) })).status).toBe(401);
    } finally {
      await onDisk.close();
    }
  });

  it("explains that keys cannot be managed in an in-process store", async () => {
    const error = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "keys", "list"], {
      env: { ...process.env, REDIS_URL: "", REDIS_CLUSTER_NODES: "", ORION_DATA_DIR: ":memory:" },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toContain("ORION_DATA_DIR=:memory:");
  });
});

describe("guest ids the server derives", () => {
  const victim = { "user-agent": "victim-agent/1.0" };
  const ask = (headers: Record<string, string>, sessionId?: string) =>
    postChat(
      server.url,
      { ...hello, ...(sessionId ? { session_id: sessionId } : {}) },
      { ...headers, "content-type": "application/json" },
    );

  it("cannot be computed from a guest's IP and User-Agent by someone else", async () => {
    const reply = (await (await ask(victim, "victim-chat")).json()) as { session_id: string };
    expect(reply.session_id).toBe("victim-chat");
    // What the unkeyed derivation gave: sha256(ip + "\n" + user agent), 32 hex digits.
    const guessed = `ipua_${createHash("sha256").update("127.0.0.1\nvictim-agent/1.0").digest("hex").slice(0, 32)}`;
    for (const id of [guessed, "h_0123456789abcdef0123456789abcdef", "ipua_x"]) {
      const read = await fetch(`${server.url}/v1/sessions/victim-chat`, { headers: { "x-browser-id": id } });
      expect(read.status).toBe(404);
    }
    const theirs = await fetch(`${server.url}/v1/quota`, { headers: { "x-browser-id": guessed } });
    expect(await theirs.json()).toMatchObject({ used_today: 0 });
    const own = await fetch(`${server.url}/v1/sessions/victim-chat`, { headers: victim });
    expect(own.status).toBe(200);
  });

  it("are the same on every instance sharing the store", async () => {
    const other = await startServer({
      REDIS_URL: redis.url,
      ORION_REDIS_PREFIX: prefix,
      ORION_GUEST_DAILY_LIMIT: "100",
    });
    try {
      const agent = { "user-agent": `shared-agent/${Date.now()}` };
      expect((await ask(agent)).status).toBe(200);
      const seen = await fetch(`${other.url}/v1/quota`, { headers: agent });
      expect(await seen.json()).toMatchObject({ used_today: 1 });
    } finally {
      await other.close();
    }
  });
});

describe("ORION_JWT_MAX_AGE_SECONDS", () => {
  const inDays = (days: number) => Math.floor(Date.now() / 1000) + days * 86_400;

  it("refuses a token issued longer ago than the setting, even before it expires", async () => {
    const strict = await startServer({ ORION_JWT_SECRET: SECRET, ORION_JWT_MAX_AGE_SECONDS: "600" });
    try {
      const old = await new SignJWT({ sub: "u" })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
        .setExpirationTime("5m")
        .sign(secretKey);
      await expect401(await postChat(strict.url, hello, bearer(old)), "issued (iat) more than 600 s ago");
      expect(
        (await postChat(strict.url, hello, bearer(await jwt({ sub: "u" }, secretKey, "5m")))).status,
      ).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it.each([
    [
      "exp: 1e308",
      () =>
        new SignJWT({ sub: "u", exp: 1e308 })
          .setProtectedHeader({ alg: "HS256" })
          .setIssuedAt()
          .sign(secretKey),
    ],
    ["an exp 30 days away", () => jwt({ sub: "u" }, secretKey, inDays(30))],
    [
      "an exp 2 days away and no iat",
      () => new SignJWT({ sub: "u", exp: inDays(2) }).setProtectedHeader({ alg: "HS256" }).sign(secretKey),
    ],
  ])("by default (a day) refuses a token with %s", async (_name, make) => {
    await expect401(
      await postChat(server.url, hello, bearer(await make())),
      "expires (exp) more than 86400 s from now",
    );
  });

  it("accepts a token without iat whose exp is within the bound, and any exp when set to 0", async () => {
    const noIat = await new SignJWT({ sub: "u", exp: inDays(0.5) })
      .setProtectedHeader({ alg: "HS256" })
      .sign(secretKey);
    expect((await postChat(server.url, hello, bearer(noIat))).status).toBe(200);
    const off = await startServer({ ORION_JWT_SECRET: SECRET, ORION_JWT_MAX_AGE_SECONDS: "0" });
    try {
      const yearLong = await jwt({ sub: "u" }, secretKey, inDays(365));
      expect((await postChat(off.url, hello, bearer(yearLong))).status).toBe(200);
    } finally {
      await off.close();
    }
  });
});

describe.each([
  ["the embedded store", () => ({})],
  ["Redis", () => ({ REDIS_URL: redis.url, ORION_REDIS_PREFIX: uniquePrefix() })],
])("the per-address guest backstop on %s", (_name, storeEnv) => {
  it("stops new browser ids from one address past ORION_GUEST_IP_DAILY_LIMIT", async () => {
    const limited = await startServer({
      ...storeEnv(),
      ORION_GUEST_DAILY_LIMIT: "10",
      ORION_GUEST_IP_DAILY_LIMIT: "3",
      ORION_TRUST_PROXY: "true",
    });
    try {
      const from = (ip: string, id: string) => ({ "x-forwarded-for": ip, "x-browser-id": id });
      for (let i = 0; i < 3; i++)
        expect((await postChat(limited.url, hello, from("203.0.113.7", `b${i}`))).status).toBe(200);
      const refused = await postChat(limited.url, hello, from("203.0.113.7", "b-new"));
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      // The headers describe the limit that refused: the address's, not the browser's 10.
      expect(refused.headers.get("ratelimit-policy")).toBe('"guest-address-daily";q=3;w=86400');
      expect(refused.headers.get("ratelimit")).toMatch(/^"guest-address-daily";r=0;t=\d+$/);
      expect(((await refused.json()) as { detail: string }).detail).toContain(
        "3 guest chats per day from one address",
      );
      // The refused browser id was not charged, yet /v1/quota reports the address's allowance,
      // the tighter one: nothing left today. Another address is not affected.
      const quota = await fetch(`${limited.url}/v1/quota`, { headers: from("203.0.113.7", "b-new") });
      expect(await quota.json()).toMatchObject({ daily_limit: 3, used_today: 3, remaining_today: 0 });
      const elsewhere = await fetch(`${limited.url}/v1/quota`, { headers: from("198.51.100.9", "b-new") });
      expect(await elsewhere.json()).toMatchObject({ daily_limit: 3, used_today: 0, remaining_today: 3 });
      expect((await postChat(limited.url, hello, from("198.51.100.9", "b-new"))).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("gives a failed chat back to both counters", async () => {
    const limited = await startServer({
      ...storeEnv(),
      ORION_GUEST_DAILY_LIMIT: "10",
      ORION_GUEST_IP_DAILY_LIMIT: "1",
      ORION_TRUST_PROXY: "true",
    });
    try {
      const headers = { "x-forwarded-for": "203.0.113.8", "x-browser-id": "refund-me" };
      limited.upstream.script((_call, res) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end('{"error":{"message":"boom"}}');
      });
      expect((await postChat(limited.url, hello, headers)).status).toBe(502);
      limited.upstream.script(defaultScript);
      expect((await postChat(limited.url, hello, headers)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
