import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { fromJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionRequestSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/observability/logger.js";
import { type App, build } from "../../src/server/app.js";
import { pngDataUrl } from "../support/images.js";
import { hello, postChat, sseData, startServer, type TestServer } from "../support/server.js";

/** The local planner (no upstream) runs real tools, so tool metrics get real samples. */
let planner: { app: App; url: string; logs: Record<string, unknown>[] };
let upstream: TestServer;
const browser = { "x-browser-id": "observability-browser" };

beforeAll(async () => {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const app = build(loadConfig({ PORT: "0" }), { logger: createLogger("info", sink) });
  planner = { app, url: await app.listen(), logs };
  upstream = await startServer();
});
afterAll(async () => {
  await planner.app.shutdown(0);
  await upstream.close();
});

const metricsOf = async (url: string) => (await fetch(`${url}/metrics`)).text();

describe("metrics and logs an operator can use", () => {
  it("counts chats by variant and surface, tokens, time to first token and each tool call", async () => {
    const image = await pngDataUrl(64, 32, "#336699");
    const res = await postChat(
      planner.url,
      {
        model: "vlmrun-orion-1:fast",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "How big is this image?" },
              { type: "image_url", image_url: { url: image } },
            ],
          },
        ],
      },
      browser,
    );
    expect(res.status).toBe(200);
    const streamed = await postChat(upstream.url, { ...hello, stream: true }, browser);
    expect(sseData(await streamed.text()).at(-1)).toBe("[DONE]");

    const local = await metricsOf(planner.url);
    expect(local).toMatch(/orion_chats_total\{variant="fast",surface="rest",outcome="ok"\} 1/);
    expect(local).toMatch(/orion_tool_calls_total\{tool="image_info",provider="",outcome="ok"\} 1/);
    expect(local).toMatch(
      /orion_tool_duration_seconds_count\{tool="image_info",provider="",outcome="ok"\} 1/,
    );
    const remote = await metricsOf(upstream.url);
    expect(remote).toMatch(/orion_time_to_first_token_seconds_count\{variant="auto",surface="rest"\} 1/);
    expect(remote).toMatch(/orion_tokens_total\{variant="auto",kind="completion"\} \d+/);

    const line = planner.logs.find((l) => l.msg === "http" && l.method === "chat.completions");
    expect(line).toMatchObject({
      variant: "fast",
      surface: "rest",
      outcome: "ok",
      caller: "guest",
      tool_calls: 1,
    });
    expect(line?.caller_hash).toMatch(/^[0-9a-f]{12}$/);
    expect(typeof line?.session_id).toBe("string");
    expect(JSON.stringify(line)).not.toContain("observability-browser");
  });

  it("an RPC chat's access-log line carries the chat's fields too", async () => {
    const grpc = createClient(AgentService, createGrpcTransport({ baseUrl: planner.url }));
    const reply = await grpc.createChatCompletion(
      fromJson(ChatCompletionRequestSchema, { messages: [{ role: "ROLE_USER", content: "hi" }] }),
      { headers: browser },
    );
    expect(reply.choices).toHaveLength(1);
    const line = planner.logs.find((l) => l.msg === "rpc" && l.method === "CreateChatCompletion");
    expect(line).toMatchObject({ surface: "grpc", status: "ok", outcome: "ok", caller: "guest" });
    expect(line?.caller_hash).toMatch(/^[0-9a-f]{12}$/);
    expect(line?.session_id).toBe(reply.sessionId);
    expect(typeof line?.ms).toBe("number");
    // ISO 8601, and this request's own time (the stamp is reused only within one millisecond).
    expect(line?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(String(line?.time)) - Date.now())).toBeLessThan(60_000);
  });

  it("the Grafana dashboard in docs/ uses only metrics the server exports", async () => {
    const dashboard = JSON.parse(readFileSync("docs/grafana-dashboard.json", "utf8")) as {
      panels: { targets: { expr: string }[] }[];
    };
    const exported = new Set(
      [...(await metricsOf(upstream.url)).matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((m) => m[1] as string),
    );
    const used = new Set(
      dashboard.panels
        .flatMap((p) => p.targets.map((t) => t.expr))
        .flatMap((expr) =>
          [...expr.matchAll(/\b((?:orion|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1] as string),
        ),
    );
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) {
      const base = name.replace(/_(bucket|sum|count)$/, "");
      expect(exported.has(name) || exported.has(base), `${name} is not in /metrics`).toBe(true);
    }
  });
});
