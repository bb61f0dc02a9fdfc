import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { chunk, sendEvent, startSse, streamText } from "../support/fake-upstream.js";
import { hello, postChat, sseData, startServer, type TestServer } from "../support/server.js";

describe("health, readiness, metrics, request ids and logs", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it("reports alive and ready", async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", draining: false });
  });

  it("echoes a caller's X-Request-Id, forwards it upstream and logs it", async () => {
    const res = await postChat(server.url, hello, { "x-request-id": "trace-abc-123" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("trace-abc-123");
    expect(server.upstream.calls.at(-1)?.headers["x-request-id"]).toBe("trace-abc-123");
    const line = server.logs.find((l) => l.req_id === "trace-abc-123");
    expect(line).toMatchObject({ surface: "rest", method: "chat.completions", status: 200, level: "info" });
    expect(typeof line?.ms).toBe("number");
  });

  it("generates a request id when the caller's is missing or unsafe, for RPCs too", async () => {
    const res = await postChat(server.url, hello, { "x-request-id": "bad id\twith spaces" });
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const client = createClient(AgentService, createGrpcTransport({ baseUrl: server.url }));
    let header: Headers | undefined;
    await client.createChatCompletion(
      { messages: [{ role: Role.USER, content: "hi" }] },
      { headers: { "x-request-id": "rpc-trace-1" }, onHeader: (h) => (header = h) },
    );
    expect(header?.get("x-request-id")).toBe("rpc-trace-1");
    expect(server.upstream.calls.at(-1)?.headers["x-request-id"]).toBe("rpc-trace-1");
    expect(server.logs.find((l) => l.req_id === "rpc-trace-1")).toMatchObject({
      surface: "grpc",
      method: "CreateChatCompletion",
      status: "ok",
    });
  });

  it("exposes Prometheus metrics by surface, method and status", async () => {
    await postChat(server.url, { messages: [] });
    const client = createClient(
      AgentService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    await client.createChatCompletion({ messages: [{ role: Role.USER, content: "hi" }] });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toMatch(/orion_requests_total\{surface="rest",method="chat.completions",status="200"\} \d+/);
    expect(text).toMatch(/orion_requests_total\{surface="rest",method="chat.completions",status="422"\} \d+/);
    expect(text).toMatch(
      /orion_requests_total\{surface="connect",method="CreateChatCompletion",status="ok"\} \d+/,
    );
    expect(text).toMatch(
      /orion_upstream_duration_seconds_count\{backend="openai-compatible:fake-model",outcome="ok"\} \d+/,
    );
    expect(text).toContain("orion_inflight_streams");
    expect(text).toContain("process_resident_memory_bytes");
  });
});

describe("CORS for browsers on another origin", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ORION_CORS_ORIGINS: "https://app.example.com" });
  });
  afterAll(() => server.close());

  it("answers a Connect preflight from an allowed origin", async () => {
    const res = await fetch(`${server.url}/vlmrun.agent.v1.AgentService/CreateChatCompletion`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,connect-protocol-version,authorization,x-browser-id",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const allowed = res.headers.get("access-control-allow-headers")?.toLowerCase() ?? "";
    for (const h of [
      "content-type",
      "connect-protocol-version",
      "authorization",
      "x-browser-id",
      "x-grpc-web",
    ]) {
      expect(allowed).toContain(h);
    }
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("lets the browser read the response and its headers on the actual call", async () => {
    const res = await fetch(`${server.url}/vlmrun.agent.v1.AgentService/ListModels`, {
      method: "POST",
      headers: {
        origin: "https://app.example.com",
        "content-type": "application/json",
        "connect-protocol-version": "1",
      },
      body: "{}",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("grpc-status");
  });

  it("gives no CORS grant to an origin that is not allowed", async () => {
    const res = await fetch(`${server.url}/v1/openai/models`, {
      headers: { origin: "https://evil.example" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("body caps on RPC", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ORION_MAX_BODY_BYTES: "4096" });
  });
  afterAll(() => server.close());

  it("rejects an RPC message over the cap with ResourceExhausted", async () => {
    const client = createClient(AgentService, createGrpcTransport({ baseUrl: server.url }));
    const error = ConnectError.from(
      await client
        .createChatCompletion({ messages: [{ role: Role.USER, content: "x".repeat(10_000) }] })
        .catch((e: unknown) => e),
    );
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(server.upstream.calls).toHaveLength(0);
  });
});

describe("graceful shutdown", () => {
  it("goes unready, refuses new requests, lets in-flight streams finish", async () => {
    const server = await startServer();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.upstream.script(async (call, res) => {
      await gate;
      streamText(call, res);
    });
    const inflight = postChat(server.url, { ...hello, stream: true }).then((r) => r.text());
    await until(() => server.upstream.calls.length === 1);
    const stopped = server.app.shutdown(10_000);

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ draining: true });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const refused = await postChat(server.url, hello);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: "shutting_down" } });

    release();
    const events = sseData(await inflight);
    expect(events.at(-1)).toBe("[DONE]");
    expect(events.some((e) => e.includes("error"))).toBe(false);
    await stopped;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    await server.upstream.close();
  });

  it("ends streams still running at the deadline with a clear error, on REST and gRPC", async () => {
    const server = await startServer();
    server.upstream.script((call, res) => {
      startSse(res);
      sendEvent(
        res,
        chunk(call, [{ index: 0, delta: { role: "assistant", content: "tick" }, finish_reason: null }]),
      );
    });
    const rest = postChat(server.url, { ...hello, stream: true }).then((r) => r.text());
    const client = createClient(AgentService, createGrpcTransport({ baseUrl: server.url }));
    const grpcResult = (async () => {
      for await (const _ of client.streamChatCompletion({ messages: [{ role: Role.USER, content: "hi" }] })) {
        // keep reading until the server ends the stream
      }
    })().catch((e: unknown) => ConnectError.from(e));
    await until(() => server.upstream.calls.length === 2);
    await server.app.shutdown(300);

    const events = sseData(await rest);
    expect(JSON.parse(events.at(-2) ?? "{}")).toMatchObject({ error: { code: "shutting_down" } });
    expect(events.at(-1)).toBe("[DONE]");
    const grpcError = await grpcResult;
    expect(grpcError).toBeInstanceOf(ConnectError);
    expect((grpcError as ConnectError).code).toBe(Code.Unavailable);
    await server.upstream.close();
  });
});

async function until(predicate: () => boolean) {
  while (!predicate()) await new Promise((r) => setTimeout(r, 5));
}

describe("an error nobody planned for", () => {
  let server: TestServer;
  beforeAll(async () => {
    // A store with a programming error in it: the failure must surface as a logged 500.
    const store = new MemoryStore();
    store.consume = () => {
      throw new TypeError("counter is not a function");
    };
    server = await startServer({ ORION_GUEST_DAILY_LIMIT: "10" }, { store });
  });
  afterAll(() => server.close());

  it("is a 500 on REST and Connect, logged with its message, stack and request id", async () => {
    const res = await postChat(server.url, hello, { "x-request-id": "boom-rest-1" });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { message: "internal server error" } });
    const client = createClient(
      AgentService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    const rpc = await client
      .createChatCompletion(
        { messages: [{ role: Role.USER, content: "hi" }] },
        { headers: { "x-request-id": "boom-rpc-1" } },
      )
      .catch((e: unknown) => ConnectError.from(e));
    expect(rpc).toBeInstanceOf(ConnectError);
    const streamed = await postChat(
      server.url,
      { ...hello, stream: true },
      { "x-request-id": "boom-stream-1" },
    );
    expect(streamed.status).toBe(500);
    for (const id of ["boom-rest-1", "boom-rpc-1", "boom-stream-1"]) {
      const line = server.logs.find((l) => l.req_id === id && l.msg === "internal error") as
        | { level: string; err: { message: string; stack: string } }
        | undefined;
      expect(line?.level).toBe("error");
      expect(line?.err.message).toBe("counter is not a function");
      expect(line?.err.stack).toContain("TypeError: counter is not a function");
    }
  });
});

describe("ORION_METRICS_TOKEN", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ORION_METRICS_TOKEN: "scrape-token-123" });
  });
  afterAll(() => server.close());

  it("keeps /metrics behind the bearer token, and health probes open", async () => {
    const refused: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-token" },
      { authorization: "scrape-token-123" },
    ];
    for (const headers of refused) {
      const res = await fetch(`${server.url}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(await res.text()).not.toContain("orion_requests_total");
    }
    const ok = await fetch(`${server.url}/metrics`, {
      headers: { authorization: "Bearer scrape-token-123" },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("orion_requests_total");
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
