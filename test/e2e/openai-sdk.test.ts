import http from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chunk,
  completionBody,
  DEFAULT_TEXT,
  defaultScript,
  sendEvent,
  sendJson,
  startSse,
} from "../support/fake-upstream.js";
import { startServer, type TestServer } from "../support/server.js";

let server: TestServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startServer({
    ORION_API_KEYS: "sk-test-key-123=tester:enterprise",
    // load_url fetches from a page this test serves on loopback.
    ORION_URL_ALLOW_HOSTS: "127.0.0.1",
  });
  client = new OpenAI({ apiKey: "sk-test-key-123", baseURL: `${server.url}/v1/openai`, maxRetries: 0 });
});
afterAll(() => server.close());

const messages = [{ role: "user" as const, content: "Say hello" }];

describe("the official openai SDK against the REST bridge", () => {
  it("offers a plain non-streaming request core's no-file tools, runs the one the model calls and feeds it back", async () => {
    const page = http.createServer((_req, res) =>
      res.writeHead(200, { "content-type": "text/plain" }).end("ok"),
    );
    await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(page.address() as AddressInfo).port}/notes.txt`;
    const before = server.upstream.calls.length;
    server.upstream.script((call, res) => {
      const messages = call.body.messages as { role: string; content: string }[];
      const tool = messages.find((m) => m.role === "tool");
      if (tool) return sendJson(res, 200, completionBody(call, `loaded: ${tool.content}`));
      const toolCalls = [
        {
          id: "call_u",
          type: "function",
          function: { name: "load_url", arguments: JSON.stringify({ url }) },
        },
      ];
      sendJson(res, 200, {
        ...completionBody(call),
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: null, tool_calls: toolCalls },
            finish_reason: "tool_calls",
          },
        ],
      });
    });
    try {
      const completion = await client.chat.completions.create({
        model: "vlmrun-orion-1:auto",
        messages: [{ role: "user", content: `summarize ${url}` }],
      });
      const [first, second] = server.upstream.calls.slice(before);
      const offered = ((first?.body.tools ?? []) as { function: { name: string } }[]).map(
        (t) => t.function.name,
      );
      expect(offered).toEqual(["load_url"]);
      const fedBack = (
        (second?.body.messages ?? []) as { role: string; content: string; tool_call_id?: string }[]
      ).find((m) => m.role === "tool");
      expect(fedBack?.tool_call_id).toBe("call_u");
      expect(fedBack?.content).toMatch(
        /stored 2 bytes of text\/plain as doc_[0-9a-f]{6}|stored 2 bytes of text\/plain as \w+_[0-9a-f]+/,
      );
      expect(completion.choices[0]?.message.content).toMatch(/^loaded: /);
      expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
    } finally {
      server.upstream.script(defaultScript);
      page.close();
    }
  });

  it("creates a completion with session_id, usage and the requested model", async () => {
    const completion = await client.chat.completions.create({ model: "vlmrun-orion-1:fast", messages });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("vlmrun-orion-1:fast");
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]?.message.content).toBe("Hello from the fake upstream.");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage).toEqual({ prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 });
    const sessionId = (completion as unknown as { session_id: string }).session_id;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const upstreamBody = server.upstream.calls.at(-1)?.body;
    expect(upstreamBody?.model).toBe("fake-model");
    expect(server.upstream.calls.at(-1)?.headers.authorization).toBe("Bearer sk-upstream");
  });

  it("echoes the client's completion id and session id (extra_body style keys)", async () => {
    const completion = await client.chat.completions.create({
      model: "vlmrun-orion-1",
      messages,
      // @ts-expect-error Orion keys travel as top-level JSON keys
      id: "my-completion-1",
      session_id: "sess-42",
    });
    expect(completion.id).toBe("my-completion-1");
    expect((completion as unknown as { session_id: string }).session_id).toBe("sess-42");
    expect(completion.model).toBe("vlmrun-orion-1");
  });

  it("honours n=2 with two choices, never collapsed", async () => {
    // Streamed and choosing no toolset, the chat is a plain pass-through: n goes upstream as is.
    const stream = await client.chat.completions.create({
      model: "vlmrun-orion-1:auto",
      messages,
      n: 2,
      stream: true,
    });
    const texts = ["", ""];
    for await (const chunk of stream) {
      for (const choice of chunk.choices) texts[choice.index] += choice.delta.content ?? "";
    }
    expect(texts).toEqual([DEFAULT_TEXT, DEFAULT_TEXT]);
    expect(server.upstream.calls.at(-1)?.body.n).toBe(2);
    // Not streamed, the default core toolset makes it an agent: each choice is its own trajectory.
    const before = server.upstream.calls.length;
    const completion = await client.chat.completions.create({ model: "vlmrun-orion-1:auto", messages, n: 2 });
    expect(completion.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(completion.choices.map((c) => c.message.content)).toEqual([DEFAULT_TEXT, DEFAULT_TEXT]);
    expect(server.upstream.calls.slice(before).map((c) => c.body.n ?? 1)).toEqual([1, 1]);
  });

  it("streams deltas with id and session_id on every chunk", async () => {
    const stream = await client.chat.completions.create({
      model: "vlmrun-orion-1:auto",
      messages,
      stream: true,
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(2);
    const ids = new Set(chunks.map((c) => c.id));
    expect(ids.size).toBe(1);
    const sessions = new Set(chunks.map((c) => (c as unknown as { session_id: string }).session_id));
    expect(sessions.size).toBe(1);
    expect([...sessions][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(
      "Hello from the fake upstream.",
    );
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    // The final chunk lists the files the run made, [] for none, as a whole reply's `artifacts`.
    expect(chunks.at(-1)).toMatchObject({ choices: [], artifacts: [] });
    expect(chunks.some((c) => c.usage)).toBe(false);
    // We always ask upstream for usage, even when the client did not.
    expect(server.upstream.calls.at(-1)?.body.stream_options).toEqual({ include_usage: true });
  });

  it("ends a stream with exactly one usage chunk with empty choices when asked", async () => {
    const stream = await client.chat.completions.create({
      model: "vlmrun-orion-1:auto",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const withUsage = chunks.filter((c) => c.usage);
    expect(withUsage).toHaveLength(1);
    expect(chunks.at(-1)).toBe(withUsage[0]);
    expect(withUsage[0]?.choices).toEqual([]);
    expect(withUsage[0]?.usage).toEqual({ prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 });
    expect(withUsage[0]).toMatchObject({ artifacts: [] });
  });

  it("streams n=2 with deltas routed by choice index", async () => {
    const stream = await client.chat.completions.create({
      model: "vlmrun-orion-1:auto",
      messages,
      n: 2,
      stream: true,
    });
    const text = ["", ""];
    for await (const c of stream) {
      for (const choice of c.choices) text[choice.index] += choice.delta.content ?? "";
    }
    expect(text).toEqual(["Hello from the fake upstream.", "Hello from the fake upstream."]);
  });

  it("lists and retrieves the agent models", async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual([
      "vlmrun-orion-1",
      "vlmrun-orion-1:lite",
      "vlmrun-orion-1:fast",
      "vlmrun-orion-1:auto",
      "vlmrun-orion-1:pro",
    ]);
    const model = await client.models.retrieve("vlmrun-orion-1:pro");
    expect(model).toMatchObject({ id: "vlmrun-orion-1:pro", object: "model", owned_by: "vlmrun" });
    await expect(client.models.retrieve("gpt-4o")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("surfaces validation errors as UnprocessableEntityError with the message", async () => {
    const error = await client.chat.completions
      .create({ model: "vlmrun-orion-1:auto", messages, temperature: 7 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    const e = error as InstanceType<typeof OpenAI.UnprocessableEntityError>;
    expect(e.status).toBe(422);
    expect(e.message).toContain("temperature: must be less than or equal to 2");
    expect(e.code).toBe("validation_error");
    expect(e.param).toBe("temperature");
  });

  it("rejects an unknown model with 422", async () => {
    const error = await client.chat.completions
      .create({ model: "gpt-4o", messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect((error as Error).message).toContain("vlmrun-orion-1:auto");
  });

  it("surfaces an upstream failure as a 502 with its explanation", async () => {
    server.upstream.script((_call, res) => sendJson(res, 500, { error: { message: "GPU on fire" } }));
    try {
      const error = await client.chat.completions
        .create({ model: "vlmrun-orion-1:auto", messages })
        .catch((e) => e);
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
      expect((error as Error).message).toContain("GPU on fire");
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("raises a mid-stream error after the text received so far", async () => {
    server.upstream.script((call, res) => {
      startSse(res);
      sendEvent(
        res,
        chunk(call, [{ index: 0, delta: { role: "assistant", content: "partial" }, finish_reason: null }]),
      );
      sendEvent(res, { error: { message: "model crashed" } });
      res.end();
    });
    try {
      const stream = await client.chat.completions.create({
        model: "vlmrun-orion-1:auto",
        messages,
        stream: true,
      });
      let text = "";
      const error = await (async () => {
        for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
      })().catch((e: unknown) => e);
      expect(text).toBe("partial");
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as Error).message).toContain("model crashed");
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("returns client tool calls (hybrid mode) with finish_reason tool_calls", async () => {
    server.upstream.script((call, res) => {
      sendJson(res, 200, {
        id: "x",
        object: "chat.completion",
        created: 1,
        model: call.body.model,
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: null,
              tool_calls: [
                {
                  id: "call_1",
                  type: "function",
                  function: { name: "get_weather", arguments: '{"city":"Paris"}' },
                },
              ],
            },
            finish_reason: "tool_calls",
          },
        ],
        usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
      });
    });
    try {
      const tools = [
        {
          type: "function" as const,
          function: {
            name: "get_weather",
            description: "Weather for a city",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          },
        },
      ];
      const completion = await client.chat.completions.create({
        model: "vlmrun-orion-1:auto",
        messages,
        tools,
        tool_choice: "auto",
      });
      expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
      expect(completion.choices[0]?.message.tool_calls).toEqual([
        { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      ]);
      // The client's tool beside the server's own (core is the default toolset, load_url needs no file).
      const sent = server.upstream.calls.at(-1)?.body;
      expect(sent?.tools).toEqual([
        expect.objectContaining({ function: expect.objectContaining({ name: "load_url" }) }),
        ...tools,
      ]);
      expect(sent?.tool_choice).toBe("auto");
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("streams tool-call deltas with index and id, repairing an upstream that omits them", async () => {
    server.upstream.script((call, res) => {
      startSse(res);
      // Ollama-style deltas: no index; the id only on the first fragment.
      sendEvent(
        res,
        chunk(call, [
          {
            index: 0,
            delta: {
              role: "assistant",
              tool_calls: [{ id: "call_9", type: "function", function: { name: "lookup", arguments: "" } }],
            },
            finish_reason: null,
          },
        ]),
      );
      sendEvent(
        res,
        chunk(call, [
          { index: 0, delta: { tool_calls: [{ function: { arguments: '{"q":' } }] }, finish_reason: null },
        ]),
      );
      sendEvent(
        res,
        chunk(call, [
          { index: 0, delta: { tool_calls: [{ function: { arguments: '"x"}' } }] }, finish_reason: null },
        ]),
      );
      sendEvent(res, chunk(call, [{ index: 0, delta: {}, finish_reason: "tool_calls" }]));
      sendEvent(res, "[DONE]");
      res.end();
    });
    try {
      const stream = client.chat.completions.stream({
        model: "vlmrun-orion-1:auto",
        messages,
        tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
      });
      const deltas: { index: number; id?: string }[] = [];
      stream.on("chunk", (c) => {
        for (const t of c.choices[0]?.delta.tool_calls ?? []) deltas.push({ index: t.index, id: t.id });
      });
      const final = await stream.finalChatCompletion();
      expect(deltas).toEqual([
        { index: 0, id: "call_9" },
        { index: 0, id: "call_9" },
        { index: 0, id: "call_9" },
      ]);
      expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({
        id: "call_9",
        function: { name: "lookup", arguments: '{"q":"x"}' },
      });
      expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("forwards sampling options, logprobs and response_format (both forms) upstream", async () => {
    const schema = { type: "object", properties: { a: { type: "number" } }, required: ["a"] };
    // The answer must match the schema, or the server would (rightly) refuse it.
    server.upstream.script((call, res) => sendJson(res, 200, completionBody(call, '{"a":1}')));
    await client.chat.completions.create({
      model: "vlmrun-orion-1:auto",
      messages,
      temperature: 0.5,
      top_p: 0.9,
      max_tokens: 100,
      stop: ["\n\n"],
      seed: 7,
      logprobs: true,
      top_logprobs: 3,
      response_format: { type: "json_schema", json_schema: { name: "thing", schema, strict: true } },
      // @ts-expect-error Orion extension
      top_k: 40,
    });
    expect(server.upstream.calls.at(-1)?.body).toMatchObject({
      temperature: 0.5,
      top_p: 0.9,
      max_tokens: 100,
      stop: ["\n\n"],
      seed: 7,
      logprobs: true,
      top_logprobs: 3,
      top_k: 40,
      response_format: { type: "json_schema", json_schema: { name: "thing", schema, strict: true } },
    });
    await client.chat.completions.create({
      model: "vlmrun-orion-1:auto",
      messages,
      // @ts-expect-error the Fireworks form Orion documents
      response_format: { type: "json_schema", schema },
    });
    expect(server.upstream.calls.at(-1)?.body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema },
    });
    server.upstream.script(defaultScript);
  });

  it("returns upstream logprobs in OpenAI shape", async () => {
    server.upstream.script((call, res) => {
      const body = completionBody(call);
      body.choices[0] = {
        ...body.choices[0],
        logprobs: {
          content: [
            {
              token: "Hi",
              logprob: -0.1,
              bytes: [72, 105],
              top_logprobs: [{ token: "Hi", logprob: -0.1, bytes: [72, 105] }],
            },
          ],
        },
      } as never;
      sendJson(res, 200, body);
    });
    try {
      const completion = await client.chat.completions.create({
        model: "vlmrun-orion-1:auto",
        messages,
        logprobs: true,
        top_logprobs: 1,
      });
      expect(completion.choices[0]?.logprobs?.content?.[0]).toEqual({
        token: "Hi",
        logprob: -0.1,
        bytes: [72, 105],
        top_logprobs: [{ token: "Hi", logprob: -0.1, bytes: [72, 105] }],
      });
    } finally {
      server.upstream.script(defaultScript);
    }
  });
});

describe("base_url = …/v1, as vLLM, Ollama, LiteLLM and LangChain users configure it", () => {
  it("serves chat (whole and streamed), models and one model at /v1 with the same auth", async () => {
    const v1 = new OpenAI({ apiKey: "sk-test-key-123", baseURL: `${server.url}/v1`, maxRetries: 0 });
    const completion = await v1.chat.completions.create({ model: "vlmrun-orion-1:fast", messages });
    expect(completion.choices[0]?.message.content).toBe("Hello from the fake upstream.");
    let text = "";
    for await (const part of await v1.chat.completions.create({
      model: "vlmrun-orion-1:fast",
      messages,
      stream: true,
    })) {
      text += part.choices[0]?.delta?.content ?? "";
    }
    expect(text).toBe("Hello from the fake upstream.");
    const ids = [];
    for await (const model of v1.models.list()) ids.push(model.id);
    expect(ids).toContain("vlmrun-orion-1:auto");
    expect((await v1.models.retrieve("vlmrun-orion-1:pro")).id).toBe("vlmrun-orion-1:pro");
    const wrongKey = new OpenAI({ apiKey: "sk-wrong-key-000", baseURL: `${server.url}/v1`, maxRetries: 0 });
    await expect(wrongKey.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
