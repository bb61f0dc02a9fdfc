import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { hello, postChat, startServer, type TestServer } from "../support/server.js";
import { uploadWithContentLength } from "../support/uploads.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ ORION_MAX_BODY_BYTES: "65536" });
});
afterAll(() => server.close());

const user = (content: unknown) => ({ role: "user", content });

/** [name, body, status, the loc of the first detail entry, its type] */
const cases: [string, unknown, number, (string | number)[], string][] = [
  ["invalid JSON", "{not json", 422, ["body"], "json_invalid"],
  ["a JSON array body", "[1,2]", 422, ["body"], "dict_type"],
  ["messages missing", {}, 422, ["body", "messages"], "missing"],
  ["messages not a list", { messages: "hi" }, 422, ["body", "messages"], "array_type"],
  ["messages empty", { messages: [] }, 422, ["body", "messages"], "too_short"],
  ["role missing", { messages: [{ content: "hi" }] }, 422, ["body", "messages", 0, "role"], "missing"],
  [
    "unknown role",
    { messages: [{ role: "robot", content: "hi" }] },
    422,
    ["body", "messages", 0, "role"],
    "enum",
  ],
  [
    "role of the wrong type",
    { messages: [{ role: 5, content: "hi" }] },
    422,
    ["body", "messages", 0, "role"],
    "string_type",
  ],
  [
    "content of the wrong type",
    { messages: [user(42)] },
    422,
    ["body", "messages", 0, "content"],
    "union_type",
  ],
  ["content missing", { messages: [{ role: "user" }] }, 422, ["body", "messages", 0, "content"], "missing"],
  [
    "unknown content part type",
    { messages: [user([{ type: "hologram" }])] },
    422,
    ["body", "messages", 0, "content", 0, "type"],
    "union_tag_invalid",
  ],
  [
    "image_url without url",
    { messages: [user([{ type: "image_url", image_url: {} }])] },
    422,
    ["body", "messages", 0, "content", 0, "image_url", "url"],
    "missing",
  ],
  [
    "image_url with a file: URL",
    { messages: [user([{ type: "image_url", image_url: { url: "file:///etc/passwd" } }])] },
    422,
    ["body", "messages", 0, "content", 0, "image_url", "url"],
    "url_scheme",
  ],
  [
    "unknown image detail",
    {
      messages: [user([{ type: "image_url", image_url: { url: "https://x.test/a.png", detail: "ultra" } }])],
    },
    422,
    ["body", "messages", 0, "content", 0, "image_url", "detail"],
    "enum",
  ],
  [
    "tool message without tool_call_id",
    { messages: [{ role: "tool", content: "42" }] },
    422,
    ["body", "messages", 0, "tool_call_id"],
    "missing",
  ],
  ["unknown model", { ...hello, model: "gpt-4o" }, 422, ["body", "model"], "enum"],
  ["max_tokens zero", { ...hello, max_tokens: 0 }, 422, ["body", "max_tokens"], "greater_than_equal"],
  ["top_k past int32", { ...hello, top_k: 2 ** 40 }, 422, ["body", "top_k"], "less_than_equal"],
  ["top_k past its range", { ...hello, top_k: 2_000_000 }, 422, ["body", "top_k"], "less_than_equal"],
  ["max_tokens too large", { ...hello, max_tokens: 32769 }, 422, ["body", "max_tokens"], "less_than_equal"],
  ["max_tokens fractional", { ...hello, max_tokens: 1.5 }, 422, ["body", "max_tokens"], "int_type"],
  ["max_tokens as a string", { ...hello, max_tokens: "100" }, 422, ["body", "max_tokens"], "number_type"],
  ["n zero", { ...hello, n: 0 }, 422, ["body", "n"], "greater_than_equal"],
  ["n nine", { ...hello, n: 9 }, 422, ["body", "n"], "less_than_equal"],
  [
    "temperature negative",
    { ...hello, temperature: -0.1 },
    422,
    ["body", "temperature"],
    "greater_than_equal",
  ],
  ["temperature above 2", { ...hello, temperature: 2.5 }, 422, ["body", "temperature"], "less_than_equal"],
  ["top_p zero", { ...hello, top_p: 0 }, 422, ["body", "top_p"], "greater_than"],
  ["top_p above 1", { ...hello, top_p: 1.5 }, 422, ["body", "top_p"], "less_than_equal"],
  ["top_k zero", { ...hello, top_k: 0 }, 422, ["body", "top_k"], "greater_than_equal"],
  ["logprobs 21", { ...hello, logprobs: 21 }, 422, ["body", "logprobs"], "less_than_equal"],
  ["stream not a boolean", { ...hello, stream: "yes" }, 422, ["body", "stream"], "boolean_type"],
  [
    "stream_options without stream",
    { ...hello, stream_options: { include_usage: true } },
    422,
    ["body", "stream_options"],
    "value_error",
  ],
  ["unknown toolset", { ...hello, toolsets: ["core", "magic"] }, 422, ["body", "toolsets", 1], "enum"],
  ["unknown tool provider", { ...hello, models: ["meta-sam9"] }, 422, ["body", "models", 0], "enum"],
  [
    "too many metadata keys",
    { ...hello, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) },
    422,
    ["body", "metadata"],
    "too_long",
  ],
  [
    "metadata value too long",
    { ...hello, metadata: { note: "x".repeat(513) } },
    422,
    ["body", "metadata", "note"],
    "string_too_long",
  ],
  [
    "metadata value not a string",
    { ...hello, metadata: { n: 3 } },
    422,
    ["body", "metadata", "n"],
    "string_type",
  ],
  [
    "response_format of unknown type",
    { ...hello, response_format: { type: "yaml" } },
    422,
    ["body", "response_format", "type"],
    "enum",
  ],
  [
    "json_schema without a schema",
    { ...hello, response_format: { type: "json_schema" } },
    422,
    ["body", "response_format"],
    "missing",
  ],
  [
    "tool_choice naming an unknown function",
    {
      ...hello,
      tools: [{ type: "function", function: { name: "a" } }],
      tool_choice: { type: "function", function: { name: "b" } },
    },
    422,
    ["body", "tool_choice"],
    "value_error",
  ],
  [
    "a tool with a bad name",
    { ...hello, tools: [{ type: "function", function: { name: "has space" } }] },
    422,
    ["body", "tools", 0, "function", "name"],
    "string_pattern_mismatch",
  ],
  [
    "skill reference without an id or a name",
    { ...hello, skills: [{ type: "skill_reference" }] },
    422,
    ["body", "skills", 0],
    "missing",
  ],
  [
    "inline skill with bad base64",
    { ...hello, skills: [{ type: "inline", name: "s", source: { data: "%%%" } }] },
    422,
    ["body", "skills", 0, "source", "data"],
    "value_error",
  ],
  [
    "input_file with both a file_id and a file_url",
    {
      messages: [user([{ type: "input_file", file_id: "file-1", file_url: "data:text/plain;base64,aGk=" }])],
    },
    422,
    ["body", "messages", 0, "content", 0, "input_file"],
    "value_error",
  ],
];

describe("bad requests get an exact status and loc, and are never sent upstream", () => {
  it.each(cases)("%s", async (_name, body, status, loc, type) => {
    const before = server.upstream.calls.length;
    const res = await postChat(server.url, body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as {
      detail: { loc: unknown[]; type: string; msg: string }[];
      error: { message: string; type: string };
    };
    expect(json.detail[0]).toMatchObject({ loc, type });
    expect(typeof json.detail[0]?.msg).toBe("string");
    expect(json.error.type).toBe("invalid_request_error");
    expect(json.error.message.length).toBeGreaterThan(0);
    expect(server.upstream.calls.length).toBe(before);
  });

  it("refuses an oversized body with 413 and stays healthy", async () => {
    const big = { messages: [user("x".repeat(70_000))] };
    const res = await postChat(server.url, big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "request_too_large" } });
    const ok = await postChat(server.url, hello);
    expect(ok.status).toBe(200);
  });

  it("refuses an oversized chunked body (no Content-Length) with 413", async () => {
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(10_000)));
        controller.close();
      },
    });
    const res = await fetch(`${server.url}/v1/openai/chat/completions`, {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it("answers a 40 MiB upload with a readable 413, not a reset, and serves the next request", async () => {
    const status = await uploadWithContentLength(server.url, 40 * 1024 * 1024);
    expect(status).toBe(413);
    expect((await postChat(server.url, hello)).status).toBe(200);
  });

  it.each([
    ["metadata", (open: string, close: string) => `"metadata":{"a":${open}1${close}}`],
    [
      "tool parameters",
      (o: string, c: string) =>
        `"tools":[{"type":"function","function":{"name":"f","parameters":${o}1${c}}}]`,
    ],
  ])("refuses %s nested 9,000 deep with a 422 and stays healthy", async (_name, field) => {
    const levels = 9_000;
    const body = `{"messages":[{"role":"user","content":"hi"}],${field('{"a":'.repeat(levels), "}".repeat(levels))}}`;
    const res = await postChat(server.url, body);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      detail: [{ loc: ["body"], msg: expect.stringContaining("JSON nested deeper than 64 levels") }],
    });
    expect((await postChat(server.url, hello)).status).toBe(200);
  });

  it.each([
    ["text/plain", 415],
    ["application/x-www-form-urlencoded", 415],
    ["application/json; charset=utf-8", 200],
    ["application/vnd.api+json", 200],
  ])("a %s body → %i", async (contentType, status) => {
    const res = await postChat(server.url, hello, { "content-type": contentType });
    expect(res.status).toBe(status);
    if (status === 415) {
      expect(await res.json()).toMatchObject({
        error: { code: "unsupported_media_type", message: expect.stringContaining("application/json") },
      });
    }
  });

  it("answers a Connect call whose protobuf body is malformed with 400 invalid_argument", async () => {
    const res = await fetch(`${server.url}/vlmrun.agent.v1.AgentService/CreateChatCompletion`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: new Uint8Array([0x0f, 0xff, 0xff, 0x07]),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: "invalid_argument",
      message: expect.stringContaining("parse binary"),
    });
    expect(server.logs.filter((l) => l.msg === "internal error")).toEqual([]);
  });

  it("holds Connect and gRPC callers to the same top_k range as REST", async () => {
    const client = createClient(AgentService, createGrpcTransport({ baseUrl: server.url }));
    const error = await client
      .createChatCompletion({ messages: [{ role: Role.USER, content: "hi" }], topK: 2_000_000 })
      .catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toContain("top_k");
  });

  it("names the setting when a tool provider is not configured (400)", async () => {
    const res = await postChat(server.url, { ...hello, models: ["meta-sam3"] });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { detail: string; error: { code: string } };
    expect(json.detail).toContain("ORION_MODEL_META_SAM3_URL");
    expect(json.error.code).toBe("provider_not_configured");
  });

  it("answers unknown paths with 404 and wrong methods with 405, in the error format", async () => {
    const missing = await fetch(`${server.url}/v1/openai/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      detail: expect.any(String),
      error: { type: "not_found_error" },
    });
    const wrong = await fetch(`${server.url}/v1/openai/chat/completions`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
  });

  it("accepts unknown keys, null optionals and OpenAI's newer spellings", async () => {
    const res = await postChat(server.url, {
      messages: [{ role: "developer", content: "Be brief." }, user([{ type: "text", text: "hi" }])],
      frobnicate: true,
      n: null,
      top_k: null,
      max_completion_tokens: 50,
      toolsets: ["world_gen", "3d_reconstruction", "image-gen"],
    });
    expect(res.status).toBe(200);
    const sent = server.upstream.calls.at(-1)?.body as { messages: { role: string }[]; max_tokens: number };
    expect(sent.messages[0]?.role).toBe("system");
    expect(sent.max_tokens).toBe(50);
    expect(sent).not.toHaveProperty("frobnicate");
  });
});
