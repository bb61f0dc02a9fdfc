import net from "node:net";
import { Writable } from "node:stream";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/observability/logger.js";
import { build } from "../../src/server/app.js";
import { chunk, defaultScript, sendEvent, sendJson, startSse } from "../support/fake-upstream.js";
import { hello, postChat, sseData, startServer, type TestServer } from "../support/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ ORION_LLM_TIMEOUT_MS: "300" });
});
afterAll(() => server.close());

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function errorOf(res: Response) {
  return (await res.json()) as { detail: string; error: { message: string; code: string; type: string } };
}

describe("upstream failures map to clear errors", () => {
  it("refused connection → 502 upstream_unavailable", async () => {
    const port = await freePort();
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    });
    const app = build(
      loadConfig({ PORT: "0", ORION_LLM_BASE_URL: `http://127.0.0.1:${port}/v1`, ORION_LLM_MODEL: "m" }),
      { logger: createLogger("info", sink) },
    );
    const url = await app.listen();
    try {
      const res = await postChat(url, hello);
      expect(res.status).toBe(502);
      const body = await errorOf(res);
      expect(body.error.code).toBe("upstream_unavailable");
      expect(body.detail).toContain("ECONNREFUSED");
      // Callers never learn internal addresses; the operator's log has it.
      expect(JSON.stringify(body)).not.toContain(String(port));
      expect(body.detail).toBe("the model backend is unreachable (ECONNREFUSED)");
      expect(logs.join("")).toContain(`"upstream":"http://127.0.0.1:${port}"`);
      const stream = await postChat(url, { ...hello, stream: true });
      expect(stream.status).toBe(502);
      expect(stream.headers.get("content-type")).toContain("application/json");
    } finally {
      await app.shutdown(0);
    }
  });

  it("an upstream that says nothing → 504 after ORION_LLM_TIMEOUT_MS", async () => {
    server.upstream.script(() => {});
    try {
      const res = await postChat(server.url, hello);
      expect(res.status).toBe(504);
      const body = await errorOf(res);
      expect(body.error.code).toBe("upstream_timeout");
      expect(body.detail).toContain("ORION_LLM_TIMEOUT_MS");
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it.each([
    [401, 502, "upstream_auth", "ORION_LLM_API_KEY", { error: { message: "bad key" } }],
    [400, 400, "upstream_rejected", "context too long", { error: { message: "context too long" } }],
    [404, 502, "upstream_error", "ORION_LLM_MODEL", { detail: "model not found" }],
    [503, 502, "upstream_error", "overloaded", "overloaded"],
  ])("upstream %i → %i %s", async (upstreamStatus, status, code, mention, upstreamBody) => {
    server.upstream.script((_call, res) => {
      if (typeof upstreamBody === "string")
        res.writeHead(upstreamStatus, { "content-type": "text/plain" }).end(upstreamBody);
      else sendJson(res, upstreamStatus, upstreamBody);
    });
    try {
      const res = await postChat(server.url, hello);
      expect(res.status).toBe(status);
      const body = await errorOf(res);
      expect(body.error.code).toBe(code);
      expect(body.detail).toContain(mention);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("upstream 429 → 429 with Retry-After", async () => {
    server.upstream.script((_call, res) =>
      sendJson(res, 429, { error: { message: "slow down" } }, { "retry-after": "7" }),
    );
    try {
      const res = await postChat(server.url, hello);
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("7");
      expect((await errorOf(res)).error.type).toBe("rate_limit_error");
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("a character split across the upstream's writes arrives whole", async () => {
    const text = "héllo 世界 🎉";
    server.upstream.script(async (call, res) => {
      startSse(res);
      const event = `data: ${JSON.stringify(chunk(call, [{ index: 0, delta: { content: text }, finish_reason: null }]))}\n\n`;
      const bytes = Buffer.from(event, "utf8");
      // Cut inside each multi-byte character, and let each piece go out on its own.
      const cuts = [
        bytes.indexOf(Buffer.from("é")) + 1,
        bytes.indexOf(Buffer.from("世")) + 2,
        bytes.indexOf(Buffer.from("🎉")) + 3,
      ];
      let from = 0;
      for (const cut of [...cuts, bytes.length]) {
        res.write(bytes.subarray(from, cut));
        from = cut;
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      sendEvent(res, chunk(call, [{ index: 0, delta: {}, finish_reason: "stop" }]));
      sendEvent(res, "[DONE]");
      res.end();
    });
    try {
      const res = await postChat(server.url, { ...hello, stream: true });
      expect(res.status).toBe(200);
      const said = sseData(await res.text())
        .filter((data) => data !== "[DONE]")
        .map((data) => JSON.parse(data).choices[0]?.delta?.content ?? "")
        .join("");
      expect(said).toBe(text);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("an upstream that keeps its response open after [DONE] does not hold the answer back", async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      upstreamClosed = resolve;
    });
    server.upstream.script((call, res) => {
      startSse(res);
      sendEvent(
        res,
        chunk(call, [{ index: 0, delta: { role: "assistant", content: "Hi" }, finish_reason: null }]),
      );
      sendEvent(res, chunk(call, [{ index: 0, delta: {}, finish_reason: "stop" }]));
      sendEvent(res, "[DONE]");
      // Never ends; trickles a byte now and then, so no quiet timeout ever fires.
      const trickle = setInterval(() => res.write(":\n"), 100);
      res.on("close", () => {
        clearInterval(trickle);
        upstreamClosed();
      });
    });
    try {
      const res = await postChat(server.url, { ...hello, stream: true });
      expect(res.status).toBe(200);
      const events = sseData(await res.text());
      expect(events.at(-1)).toBe("[DONE]");
      expect(events.some((data) => data.includes('"error"'))).toBe(false);
      expect(JSON.parse(events[0] ?? "{}").choices[0].delta.content).toBe("Hi");
      await closed; // and the upstream connection is let go, not held open
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("a mid-stream failure is an in-band error event, then [DONE]", async () => {
    server.upstream.script((call, res) => {
      startSse(res);
      sendEvent(
        res,
        chunk(call, [{ index: 0, delta: { role: "assistant", content: "Hel" }, finish_reason: null }]),
      );
      setTimeout(() => res.destroy(), 20); // the upstream dies without [DONE]
    });
    try {
      const res = await postChat(server.url, { ...hello, stream: true });
      expect(res.status).toBe(200);
      const events = sseData(await res.text());
      expect(JSON.parse(events[0] ?? "{}").choices[0].delta.content).toBe("Hel");
      const error = JSON.parse(events.at(-2) ?? "{}");
      expect(error.error).toMatchObject({ type: "server_error", code: "upstream_error" });
      expect(events.at(-1)).toBe("[DONE]");
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("gRPC callers get the matching status code with ErrorInfo", async () => {
    server.upstream.script((_call, res) => sendJson(res, 500, { error: { message: "boom" } }));
    try {
      const client = createClient(AgentService, createGrpcTransport({ baseUrl: server.url }));
      const error = ConnectError.from(
        await client
          .createChatCompletion({ messages: [{ role: Role.USER, content: "hi" }] })
          .catch((e: unknown) => e),
      );
      expect(error.code).toBe(Code.Unavailable);
      expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("UPSTREAM_ERROR");
      expect(error.rawMessage).toContain("boom");
    } finally {
      server.upstream.script(defaultScript);
    }
  });
});
