import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/server/app.js";
import {
  chunk,
  defaultScript,
  sendEvent,
  sendJson,
  startSse,
  type UpstreamCall,
} from "../support/fake-upstream.js";
import { pngDataUrl } from "../support/images.js";
import {
  hello,
  postChat,
  sseData,
  startBareServer,
  startServer,
  type TestServer,
} from "../support/server.js";

const schema = {
  type: "object",
  properties: { city: { type: "string" }, population: { type: "integer" } },
  required: ["city", "population"],
  additionalProperties: false,
};
const answer = (call: UpstreamCall, content: string) => ({
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
  model: call.body.model,
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
});

describe("response_format with an upstream model", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it.each([
    ["the OpenAI form", { type: "json_schema", json_schema: { name: "city", schema } }],
    ["the Fireworks form", { type: "json_schema", schema }],
  ])("accepts a valid answer in %s", async (_name, responseFormat) => {
    server.upstream.script((call, res) =>
      sendJson(res, 200, answer(call, '{"city":"Oslo","population":709000}')),
    );
    try {
      const res = await postChat(server.url, { ...hello, response_format: responseFormat });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: { message: { content: string } }[] };
      expect(JSON.parse(body.choices[0]?.message.content ?? "")).toEqual({
        city: "Oslo",
        population: 709000,
      });
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("repairs an invalid answer once, telling the model what was wrong", async () => {
    server.upstream.script((call, res) => {
      const messages = call.body.messages as { role: string; content: string }[];
      const repairing = messages.at(-1)?.content.includes("does not match the required JSON Schema");
      sendJson(
        res,
        200,
        answer(
          call,
          repairing ? '{"city":"Oslo","population":709000}' : '{"city":"Oslo","population":"lots"}',
        ),
      );
    });
    try {
      const before = server.upstream.calls.length;
      const res = await postChat(server.url, { ...hello, response_format: { type: "json_schema", schema } });
      const body = (await res.json()) as {
        choices: { message: { content: string } }[];
        usage: { total_tokens: number };
      };
      expect(res.status).toBe(200);
      expect(JSON.parse(body.choices[0]?.message.content ?? "").population).toBe(709000);
      expect(server.upstream.calls.length - before).toBe(2);
      const repair = server.upstream.calls.at(-1)?.body.messages as { content: string }[];
      expect(repair.at(-1)?.content).toContain("/population must be integer");
      expect(body.usage.total_tokens).toBe(30);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("fails clearly when the repaired answer is still wrong", async () => {
    server.upstream.script((call, res) => sendJson(res, 200, answer(call, "not json at all")));
    try {
      const res = await postChat(server.url, { ...hello, response_format: { type: "json_schema", schema } });
      expect(res.status).toBe(502);
      const body = (await res.json()) as { detail: string; error: { code: string } };
      expect(body.error.code).toBe("response_format_unmet");
      expect(body.detail).toContain("after one repair round");
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  /** An upstream that streams an answer in two pieces, the second with finish_reason "stop". */
  function streamInTwo(first: string, second: string) {
    server.upstream.script((call, res) => {
      startSse(res);
      sendEvent(
        res,
        chunk(call, [{ index: 0, delta: { role: "assistant", content: first }, finish_reason: null }]),
      );
      sendEvent(res, chunk(call, [{ index: 0, delta: { content: second }, finish_reason: "stop" }]));
      sendEvent(res, "[DONE]");
      res.end();
    });
  }

  const streamedEvents = async () =>
    sseData(
      await (
        await postChat(server.url, {
          ...hello,
          stream: true,
          response_format: { type: "json_schema", schema },
        })
      ).text(),
    );
  const finishesOf = (events: string[]) =>
    events
      .map((e) => JSON.parse(e) as { choices?: { finish_reason: string | null }[] })
      .flatMap((c) => (c.choices ?? []).map((choice) => choice.finish_reason))
      .filter((f) => f !== null);

  it("checks a streamed answer at its end and reports a mismatch in-band", async () => {
    streamInTwo('{"city":', "42}");
    try {
      const events = await streamedEvents();
      expect(JSON.parse(events.at(-2) ?? "{}").error.code).toBe("response_format_unmet");
      expect(events.at(-1)).toBe("[DONE]");
      // The finish waits for the check: a mismatch is never preceded by finish_reason "stop".
      expect(finishesOf(events.slice(0, -2))).toEqual([]);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("releases a streamed answer's finish once the answer is checked and matches", async () => {
    streamInTwo('{"city":"Oslo",', '"population":709000}');
    try {
      const events = await streamedEvents();
      expect(events.at(-1)).toBe("[DONE]");
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { error?: unknown });
      expect(chunks.find((c) => c.error)).toBeUndefined();
      expect(finishesOf(events.slice(0, -1))).toEqual(["stop"]);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("rejects a schema that is not JSON Schema with a 422", async () => {
    const res = await postChat(server.url, {
      ...hello,
      response_format: { type: "json_schema", schema: { type: "nonsense" } },
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { detail: { loc: unknown[] }[] }).detail[0]?.loc).toEqual([
      "body",
      "response_format",
    ]);
  });
});

describe("response_format with the local planner", () => {
  let app: App;
  let url: string;
  let image: string;
  beforeAll(async () => {
    ({ app, url } = await startBareServer());
    image = await pngDataUrl(64, 32, "#000000");
  });
  afterAll(() => app.shutdown(0));

  const ask = (text: string, responseSchema: object) => ({
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text },
          { type: "image_url", image_url: { url: image } },
        ],
      },
    ],
    response_format: { type: "json_schema", json_schema: { name: "x", schema: responseSchema } },
  });

  it("builds the object from its tool results and validates it", async () => {
    const res = await postChat(
      url,
      ask("what size is this image?", {
        type: "object",
        properties: { width: { type: "integer" }, height: { type: "integer" }, format: { type: "string" } },
        required: ["width", "height", "format"],
      }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(JSON.parse(body.choices[0]?.message.content ?? "")).toEqual({
      width: 64,
      height: 32,
      format: "png",
    });
  });

  it("fails clearly when its results cannot fill the schema", async () => {
    const res = await postChat(
      url,
      ask("what size is this image?", {
        type: "object",
        properties: { mood: { type: "string" } },
        required: ["mood"],
      }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain("must have required property 'mood'");
  });
});
