import { create, equals, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type ChatCompletionRequest,
  ChatCompletionRequestSchema,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { chatRequestSchema } from "../../src/server/rest/contract/request-schema.js";
import { decodeCommonRequest } from "../../src/wire/codecs/request-fast-path.js";
import { prng } from "../support/fuzz.js";

// The fast path must be invisible: whatever it accepts, the schema accepts and turns into the same
// message; whatever the schema refuses, the fast path leaves to it (so the 422 is the schema's).

function viaSchema(body: unknown): ChatCompletionRequest | undefined {
  const parsed = chatRequestSchema.safeParse(body);
  return parsed.success ? create(ChatCompletionRequestSchema, parsed.data as never) : undefined;
}

function expectSameAsSchema(body: Record<string, unknown>): void {
  const fast = decodeCommonRequest(structuredClone(body));
  const expected = viaSchema(body);
  expect(fast, JSON.stringify(body)).toBeDefined();
  expect(expected, JSON.stringify(body)).toBeDefined();
  if (!fast || !expected) return;
  // Same fields and values, own keys included (a literal missing a field would differ here), and
  // the same bytes on the wire.
  expect(fast).toStrictEqual(expected);
  expect(equals(ChatCompletionRequestSchema, fast, expected)).toBe(true);
  expect(toBinary(ChatCompletionRequestSchema, fast)).toEqual(
    toBinary(ChatCompletionRequestSchema, expected),
  );
}

describe("the common-request fast path", () => {
  it("builds the schema's message for the common bodies", () => {
    expectSameAsSchema({ messages: [{ role: "user", content: "Say hello" }] });
    expectSameAsSchema({
      model: "vlmrun-orion-1:auto",
      messages: [{ role: "user", content: "Say hello" }],
      max_tokens: 16,
      stream: true,
      stream_options: { include_usage: true },
    });
    expectSameAsSchema({
      model: "vlmrun-orion-1:pro",
      messages: [
        { role: "system", content: "be brief" },
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AA==", detail: "high" } },
            { type: "image_url", image_url: "https://x.test/a.png" },
            { type: "image_url", image_url: { url: "https://x.test/b.png" } },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: '{"a":1}' } }],
        },
        { role: "tool", tool_call_id: "c1", content: "42", name: "f" },
      ],
      max_completion_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      n: 2,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      stream: false,
      stream_options: { include_usage: null },
      preview: true,
      parallel_tool_calls: false,
      session_id: "s-1",
      user: "u-1",
      id: "req-1",
      toolsets: ["image", "document"],
      stop: ["\n\n", "END"],
    });
    expectSameAsSchema({
      messages: [{ role: "user", content: "x", name: null, tool_call_id: null, tool_calls: null }],
      model: null,
      max_tokens: 5,
      max_completion_tokens: 5,
      stop: "STOP",
      stream_options: null,
      toolsets: null,
      user: null,
    });
  });

  it("leaves uncommon fields, unknown keys and every invalid body to the schema", () => {
    const leftToSchema: Record<string, unknown>[] = [
      {},
      { messages: null },
      { messages: "hi" },
      { messages: [{ content: "no role" }] },
      { messages: [{ role: "wizard", content: "x" }] },
      { messages: [{ role: "user", content: 5 }] },
      { messages: [{ role: "user", content: "x", cache_control: {} }] },
      { messages: [{ role: "user", content: [{ type: "text", text: "x", extra: 1 }] }] },
      { messages: [{ role: "user", content: [{ type: "video_url", video_url: "https://x.test/v.mp4" }] }] },
      {
        messages: [
          { role: "user", content: [{ type: "image_url", image_url: { url: "u", detail: "ultra" } }] },
        ],
      },
      {
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "u", detail: null } }] }],
      },
      {
        messages: [
          { role: "assistant", tool_calls: [{ id: "c", function: { name: "f", arguments: { a: 1 } } }] },
        ],
      },
      { messages: [], max_tokens: 1.5 },
      { messages: [], max_tokens: 2 ** 31 },
      { messages: [], max_tokens: 5, max_completion_tokens: 6 },
      { messages: [], temperature: "hot" },
      { messages: [], stream: "yes" },
      { messages: [], stream_options: { include_usage: true, other: 1 } },
      { messages: [], model: "gpt-4o" },
      { messages: [], toolsets: ["image", "nope"] },
      { messages: [], stop: ["a", 1] },
      { messages: [], logprobs: true },
      { messages: [], seed: 7 },
      { messages: [], tools: [] },
      { messages: [], response_format: { type: "json_object" } },
      { messages: [], metadata: { a: "b" } },
      { messages: [], something_new: 1 },
      JSON.parse('{"messages": [], "__proto__": {"polluted": true}}'),
    ];
    for (const body of leftToSchema) {
      expect(decodeCommonRequest(body), JSON.stringify(body)).toBeUndefined();
    }
  });

  it("agrees with the schema on thousands of generated bodies", () => {
    const random = prng(42); // seeded, so a failure replays
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
    const parts = [
      { type: "text", text: "hi" },
      { type: "text", text: 3 },
      { type: "image_url", image_url: "https://x.test/a.png" },
      { type: "image_url", image_url: { url: "https://x.test/a.png", detail: pick(["low", "auto", "bad"]) } },
      { type: "image_url", image_url: { url: 1 } },
      { type: "file_url", file_url: "https://x.test/d.pdf" },
      { type: "mystery" },
    ];
    const messageFields: Record<string, readonly unknown[]> = {
      role: ["user", "system", "assistant", "tool", "developer", "robot", 1],
      content: ["text", null, 7, [], () => [pick(parts)], () => [pick(parts), pick(parts)]],
      name: ["n", null, 5],
      tool_call_id: ["c1", null, false],
      tool_calls: [
        null,
        [],
        [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }],
        [{ id: "c", function: { name: "f", arguments: "{}" } }],
        [{ id: "c", type: "other", function: { name: "f", arguments: "{}" } }],
        [{ function: { name: "f", arguments: "{}" } }],
      ],
      extra: [1],
    };
    const topFields: Record<string, readonly unknown[]> = {
      model: ["vlmrun-orion-1:auto", "vlmrun-orion-1:fast", null, "nope", 3],
      max_tokens: [1, 16, 0, -1, null, 1.5, 2 ** 40, "16"],
      max_completion_tokens: [16, 32, null, 2.5],
      n: [1, 3, null, -2, 0.5],
      temperature: [0, 0.7, 2, null, "warm"],
      top_p: [1, 0.5, null, true],
      presence_penalty: [0, 1.5, null, "x"],
      frequency_penalty: [0, -1, null, []],
      stream: [true, false, null, 1],
      stream_options: [
        { include_usage: true },
        { include_usage: false },
        {},
        null,
        { include_usage: 1 },
        { x: 1 },
      ],
      preview: [true, null, "no"],
      parallel_tool_calls: [false, null, 0],
      session_id: ["s", null, 1],
      user: ["u", null, {}],
      id: ["i", null, 2],
      toolsets: [["image"], ["video", "document"], [], null, ["zzz"], "image"],
      stop: ["s", ["a", "b"], [], null, 5, [1]],
      seed: [1, null],
      metadata: [{ a: "b" }, null],
    };
    const build = (fields: Record<string, readonly unknown[]>, chance: number) => {
      const out: Record<string, unknown> = {};
      for (const [name, values] of Object.entries(fields)) {
        if (random() >= chance) continue;
        const value = pick(values);
        out[name] = typeof value === "function" ? value() : value;
      }
      return out;
    };
    let fastCount = 0;
    let refusedBySchema = 0;
    for (let i = 0; i < 20000; i++) {
      const body = build(topFields, 0.15);
      if (random() < 0.95) {
        body.messages = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
          random() < 0.7
            ? { role: "user", content: "x", ...build(messageFields, 0.2) }
            : build(messageFields, 0.6),
        );
      }
      const fast = decodeCommonRequest(structuredClone(body));
      const expected = viaSchema(body);
      if (!expected) refusedBySchema++;
      if (!fast) continue;
      fastCount++;
      expect(expected, JSON.stringify(body)).toBeDefined();
      expect(fast, JSON.stringify(body)).toStrictEqual(expected);
    }
    // Both sides must be exercised, or this test proves nothing.
    expect(fastCount).toBeGreaterThan(500);
    expect(refusedBySchema).toBeGreaterThan(1000);
  });
});
