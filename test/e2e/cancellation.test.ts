import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { chunk, defaultScript, sendEvent, startSse, type UpstreamCall } from "../support/fake-upstream.js";
import { grpcJsClient } from "../support/grpc-js-client.js";
import { hello, postChat, startServer, type TestServer } from "../support/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** An upstream that sends one delta, then waits until the client goes away. */
function slowStream() {
  server.upstream.script((call, res) => {
    startSse(res);
    sendEvent(
      res,
      chunk(call, [{ index: 0, delta: { role: "assistant", content: "first" }, finish_reason: null }]),
    );
  });
}

/** An upstream that never answers a non-streamed call. */
function silent() {
  server.upstream.script(() => {});
}

async function upstreamAbortedFor(call: UpstreamCall | undefined) {
  expect(call).toBeDefined();
  await call?.aborted; // hangs (and the test times out) if the upstream call is not aborted
  expect(call?.wasAborted()).toBe(true);
}

describe("client disconnects and deadlines abort the upstream call", () => {
  it("REST SSE: the client closes after the first chunk", async () => {
    slowStream();
    try {
      const controller = new AbortController();
      const res = await postChat(server.url, { ...hello, stream: true }, {});
      const reader = res.body?.getReader();
      const first = await reader?.read();
      expect(new TextDecoder().decode(first?.value)).toContain("first");
      await reader?.cancel();
      controller.abort();
      await upstreamAbortedFor(server.upstream.calls.at(-1));
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("REST JSON: the client gives up while the upstream is thinking", async () => {
    silent();
    try {
      const controller = new AbortController();
      const pending = fetch(`${server.url}/v1/openai/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(hello),
        signal: controller.signal,
      }).catch(() => undefined);
      await waitFor(() => server.upstream.calls.length > 0 && !server.upstream.calls.at(-1)?.wasAborted());
      controller.abort();
      await pending;
      await upstreamAbortedFor(server.upstream.calls.at(-1));
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("gRPC stream (connect-node): the client aborts", async () => {
    slowStream();
    try {
      const client = createClient(AgentService, createGrpcTransport({ baseUrl: server.url }));
      const controller = new AbortController();
      const stream = client.streamChatCompletion(
        { messages: [{ role: Role.USER, content: "hi" }] },
        { signal: controller.signal },
      );
      for await (const c of stream) {
        expect(c.choices[0]?.delta?.content).toBe("first");
        controller.abort();
        break;
      }
      await upstreamAbortedFor(server.upstream.calls.at(-1));
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("gRPC stream (@grpc/grpc-js): the client cancels", async () => {
    slowStream();
    const client = grpcJsClient(server.url);
    try {
      const call = (
        client.StreamChatCompletion as (r: unknown) => import("@grpc/grpc-js").ClientReadableStream<unknown>
      )({
        messages: [{ role: "ROLE_USER", content: "hi" }],
      });
      call.on("error", () => {});
      await new Promise((resolve) => call.once("data", resolve));
      call.cancel();
      await upstreamAbortedFor(server.upstream.calls.at(-1));
    } finally {
      client.close();
      server.upstream.script(defaultScript);
    }
  });

  it("a Connect deadline ends the call with DeadlineExceeded and aborts upstream", async () => {
    silent();
    try {
      const client = createClient(
        AgentService,
        createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
      );
      const error = ConnectError.from(
        await client
          .createChatCompletion({ messages: [{ role: Role.USER, content: "hi" }] }, { timeoutMs: 200 })
          .catch((e: unknown) => e),
      );
      expect(error.code).toBe(Code.DeadlineExceeded);
      await upstreamAbortedFor(server.upstream.calls.at(-1));
    } finally {
      server.upstream.script(defaultScript);
    }
  });
});

async function waitFor(predicate: () => boolean) {
  while (!predicate()) await new Promise((r) => setTimeout(r, 5));
}
