import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionRequestSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { defaultScript, sendJson, type UpstreamCall } from "../support/fake-upstream.js";
import { probedWhile } from "../support/probe.js";
import { hello, postChat, startServer, type TestServer } from "../support/server.js";

const answer = (call: UpstreamCall, content: string) => ({
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
  model: call.body.model,
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
});

const withSchema = (schema: unknown) => ({
  ...hello,
  response_format: { type: "json_schema", json_schema: { name: "x", schema } },
});

function deep(levels: number): JsonObject {
  let schema: JsonObject = { type: "string" };
  for (let i = 0; i < levels; i++) schema = { type: "object", properties: { a: schema } };
  return schema;
}

/** A request body with a schema nested `levels` deep, as text (JSON.stringify would overflow). */
function deepBody(levels: number, schemaField: string): string {
  const open = '{"type":"object","properties":{"a":'.repeat(levels);
  const close = "}}".repeat(levels);
  return `{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema",${schemaField}:{"name":"x","schema":${open}{"type":"string"}${close}}}}`;
}

function wide(properties: number): JsonObject {
  const props: JsonObject = {};
  for (let i = 0; i < properties; i++) props[`p${i}`] = { type: "string", description: "x".repeat(20) };
  return { type: "object", properties: props };
}

interface ErrorBody {
  detail: { loc: unknown[]; msg: string; type: string }[];
  error: { code: string; message: string };
}

/** Worst /healthz latency allowed while an attack runs (generous: a noisy 2-core machine). */
const WORST_PROBE_MS = 1_500;

/**
 * Runs `attack` while a worker thread probes /healthz (test/support/probe.ts): the probe has its
 * own event loop, so a server that stalls its event loop shows up as probe latency, and every
 * probe must answer 200 within WORST_PROBE_MS.
 */
async function unstalled<T>(url: string, attack: () => Promise<T>): Promise<T> {
  const { result, probe } = await probedWhile(url, attack);
  expect(probe.failures).toBe(0);
  expect(probe.count).toBeGreaterThan(0);
  expect(probe.worstMs).toBeLessThan(WORST_PROBE_MS);
  return result;
}

describe("hostile response_format schemas and answers", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ORION_SCHEMA_TIMEOUT_MS: "1500" });
  });
  afterAll(() => server.close());

  it.each([
    ["20,000 properties", wide(20_000), "more than 2000 objects and arrays"],
    ["20 levels of properties", deep(20), "nested deeper than 32 levels"],
    ["over 64 KiB", { type: "string", description: "x".repeat(70_000) }, "larger than 65536 bytes"],
    ["a self-reference", { $ref: "#" }, "refers to itself"],
    [
      "a $defs entry that refers to itself",
      { $ref: "#/$defs/a", $defs: { a: { $ref: "#/$defs/a" } } },
      "refers to itself ($ref)",
    ],
    [
      "two properties that refer to each other",
      { properties: { a: { $ref: "#/properties/b" }, b: { $ref: "#/properties/a" } } },
      "refers to itself ($ref)",
    ],
    ["a backreference pattern", { type: "string", pattern: "(a)\\1" }, "is not supported"],
    ["a lookahead pattern", { type: "string", pattern: "(?=a)b" }, "is not supported"],
  ])(
    "refuses a schema with %s as a 422 naming the limit, before any upstream call",
    async (_n, schema, says) => {
      const before = server.upstream.calls.length;
      const res = await unstalled(server.url, () => postChat(server.url, withSchema(schema)));
      expect(res.status).toBe(422);
      const body = (await res.json()) as ErrorBody;
      expect(body.detail[0]?.loc).toEqual(["body", "response_format"]);
      expect(body.detail[0]?.msg).toContain(says);
      expect(server.upstream.calls.length).toBe(before);
    },
  );

  it("refuses a schema 5,000 levels deep with a 4xx on REST and Connect", async () => {
    const rest = await unstalled(server.url, () => postChat(server.url, deepBody(5_000, '"json_schema"')));
    expect(rest.status).toBe(422);
    expect(((await rest.json()) as ErrorBody).detail[0]?.msg).toMatch(/nested deeper than/);
    const connect = await fetch(`${server.url}/vlmrun.agent.v1.AgentService/CreateChatCompletion`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: deepBody(5_000, '"jsonSchema"').replace('"role":"user"', '"role":"ROLE_USER"'),
    });
    expect(connect.status).toBe(400);
    expect(((await connect.json()) as { code: string }).code).toBe("invalid_argument");
  });

  it("refuses a body of 250,000 tiny values before parsing it", async () => {
    const res = await unstalled(server.url, () =>
      postChat(server.url, `{"messages":[{"role":"user","content":"hi"}],"stop":[${"0,".repeat(250_000)}0]}`),
    );
    expect(res.status).toBe(422);
    expect(((await res.json()) as ErrorBody).detail[0]?.msg).toBe("JSON with more than 200000 values");
  });

  it("refuses the same schemas over Connect with INVALID_ARGUMENT", async () => {
    const client = createClient(
      AgentService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    for (const schema of [deep(20), { $ref: "#" }, wide(20_000)]) {
      const request = fromJson(ChatCompletionRequestSchema, {
        messages: [{ role: "ROLE_USER", content: "hi" }],
        responseFormat: { type: "RESPONSE_FORMAT_TYPE_JSON_SCHEMA", jsonSchema: { name: "x", schema } },
      });
      const error = await client.createChatCompletion(request).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.code).toBe(Code.InvalidArgument);
    }
  });

  it("checks a backtracking pattern in linear time", async () => {
    server.upstream.script((call, res) =>
      sendJson(res, 200, answer(call, JSON.stringify(`${"a".repeat(40)}b`))),
    );
    try {
      const res = await unstalled(server.url, () =>
        postChat(server.url, withSchema({ type: "string", pattern: "^(a+)+$" })),
      );
      expect(res.status).toBe(502);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe("response_format_unmet");
      expect(body.error.message).toContain("must match pattern");
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("bounds an expensive check (uniqueItems over 20,000 objects) by its deadline", async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ i }));
    server.upstream.script((call, res) => sendJson(res, 200, answer(call, JSON.stringify(items))));
    try {
      const res = await unstalled(server.url, () =>
        postChat(server.url, withSchema({ type: "array", items: { type: "object" }, uniqueItems: true })),
      );
      expect(res.status).toBe(422);
      const body = (await res.json()) as ErrorBody;
      expect(body.detail[0]?.msg).toContain("took longer than 1500 ms");
      // The worker that was stopped is replaced: the next check works.
      server.upstream.script((call, r) => sendJson(r, 200, answer(call, "[1,2]")));
      const next = await postChat(server.url, withSchema({ type: "array", uniqueItems: true }));
      expect(next.status).toBe(200);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("still accepts an ordinary extraction schema", async () => {
    server.upstream.script((call, res) => sendJson(res, 200, answer(call, '{"total":12.5,"vendor":"ACME"}')));
    try {
      const res = await postChat(
        server.url,
        withSchema({
          type: "object",
          properties: {
            total: { type: "number" },
            vendor: { type: "string", pattern: "^[A-Z][A-Za-z ]+$" },
          },
          required: ["total", "vendor"],
        }),
      );
      expect(res.status).toBe(200);
    } finally {
      server.upstream.script(defaultScript);
    }
  });
});
