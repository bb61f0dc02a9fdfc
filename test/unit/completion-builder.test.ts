import { create, equals, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  ArtifactRefSchema,
  ChatCompletionChunkSchema,
  ChatCompletionSchema,
  ChatMessageSchema,
  ChoiceLogprobsSchema,
  ToolCallSchema,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { FinishReason, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { BackendStreamPart } from "../../src/backends/backend.js";
import type { ChatPlan } from "../../src/service/chat-plan.js";
import { buildCompletion, ChunkBuilder } from "../../src/service/completion-builder.js";

// The builder writes messages as typed literals instead of calling `create()`; each must be the
// message `create()` makes from the same fields, or the wire encoders would see something else.

const plan = {
  completionId: "chatcmpl-1",
  created: 1700000000n,
  modelName: "vlmrun-orion-1:auto",
  sessionId: "s-1",
  includeUsage: true,
} as ChatPlan;

const logprobs = create(ChoiceLogprobsSchema, {
  content: [{ token: "Hi", logprob: -0.5, bytes: [72, 105], topLogprobs: [{ token: "Hi", logprob: -0.5 }] }],
});

const chunkHeader = {
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1700000000n,
  model: "vlmrun-orion-1:auto",
  sessionId: "s-1",
  systemFingerprint: "",
};

const completionHeader = { ...chunkHeader, object: "chat.completion" };

function expectSameMessage<T extends Parameters<typeof equals>[1]>(
  schema: Parameters<typeof equals>[0],
  built: T,
  expected: T,
) {
  expect(equals(schema, built, expected)).toBe(true);
  expect(toJson(schema, built)).toEqual(toJson(schema, expected));
  // Binary encoding walks every field: a literal missing one would throw or differ here.
  expect(Object.keys(built).sort()).toEqual(Object.keys(expected).sort());
}

describe("stream chunks built as literals", () => {
  it("equal create() for text (with logprobs), refusal, tool calls and finish", () => {
    const builder = new ChunkBuilder(plan);
    const parts: [BackendStreamPart, Parameters<typeof create<typeof ChatCompletionChunkSchema>>[1]][] = [
      [
        { type: "text", choice: 0, text: "Hi", logprobs },
        {
          choices: [{ index: 0, delta: { role: Role.ASSISTANT, content: "Hi", toolCalls: [] }, logprobs }],
        },
      ],
      [
        { type: "text", choice: 0, text: " there" },
        { choices: [{ index: 0, delta: { role: Role.UNSPECIFIED, content: " there", toolCalls: [] } }] },
      ],
      [
        { type: "refusal", choice: 1, text: "no" },
        { choices: [{ index: 1, delta: { role: Role.ASSISTANT, refusal: "no", toolCalls: [] } }] },
      ],
      [
        { type: "tool-call", choice: 0, index: 0, id: "call_1", name: "f", argumentsDelta: "{" },
        {
          choices: [
            {
              index: 0,
              delta: {
                role: Role.UNSPECIFIED,
                toolCalls: [
                  { index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "{" } },
                ],
              },
            },
          ],
        },
      ],
      [
        { type: "tool-call", choice: 0, index: 0, id: "call_1", argumentsDelta: "}" },
        {
          choices: [
            {
              index: 0,
              delta: {
                role: Role.UNSPECIFIED,
                toolCalls: [{ index: 0, id: "call_1", type: "", function: { name: "", arguments: "}" } }],
              },
            },
          ],
        },
      ],
      [
        { type: "finish", choice: 0, reason: FinishReason.TOOL_CALLS },
        {
          choices: [
            {
              index: 0,
              delta: { role: Role.UNSPECIFIED, toolCalls: [] },
              finishReason: FinishReason.TOOL_CALLS,
            },
          ],
        },
      ],
    ];
    for (const [part, init] of parts) {
      const built = builder.fromPart(part);
      expect(built).toBeDefined();
      if (!built) continue;
      const expected = create(ChatCompletionChunkSchema, { ...chunkHeader, ...init });
      expectSameMessage(ChatCompletionChunkSchema, built, expected);
      expectSameMessage(ChatCompletionChunkSchema, create(ChatCompletionChunkSchema, built), expected);
    }
  });

  it("the final chunk, the transcript and the whole completion equal create()", () => {
    const builder = new ChunkBuilder(plan);
    builder.fromPart({ type: "text", choice: 0, text: "Hel" });
    builder.fromPart({ type: "text", choice: 0, text: "lo" });
    builder.fromPart({
      type: "tool-call",
      choice: 0,
      index: 1,
      id: "call_2",
      name: "g",
      argumentsDelta: "[]",
    });
    builder.fromPart({
      type: "tool-call",
      choice: 0,
      index: 0,
      id: "call_1",
      name: "f",
      argumentsDelta: "{",
    });
    builder.fromPart({ type: "tool-call", choice: 0, index: 0, id: "call_1", argumentsDelta: "}" });
    builder.fromPart({ type: "finish", choice: 0, reason: FinishReason.TOOL_CALLS });
    builder.fromPart({ type: "usage", usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 } });
    builder.fromPart({ type: "fingerprint", value: "fp" });
    const artifacts = [
      create(ArtifactRefSchema, {
        id: "img_1",
        contentType: "image/png",
        bytes: 10n,
        url: "/v1/artifacts?object_id=img_1",
      }),
    ];
    const usage = { promptTokens: 3, completionTokens: 4, totalTokens: 7 };
    expectSameMessage(
      ChatCompletionChunkSchema,
      builder.finalChunk(artifacts),
      create(ChatCompletionChunkSchema, { ...chunkHeader, systemFingerprint: "fp", usage, artifacts }),
    );
    const toolCalls = [
      { id: "call_1", type: "function", function: { name: "f", arguments: "{}" } },
      { id: "call_2", type: "function", function: { name: "g", arguments: "[]" } },
    ];
    expectSameMessage(
      ChatMessageSchema,
      builder.transcript(0),
      create(ChatMessageSchema, { role: Role.ASSISTANT, content: "Hello", toolCalls }),
    );
    expectSameMessage(
      ChatMessageSchema,
      builder.transcript(3),
      create(ChatMessageSchema, { role: Role.ASSISTANT, toolCalls: [] }),
    );
    expectSameMessage(
      ChatCompletionSchema,
      builder.completion(artifacts),
      create(ChatCompletionSchema, {
        ...completionHeader,
        choices: [
          {
            index: 0,
            message: { role: Role.ASSISTANT, content: "Hello", toolCalls },
            finishReason: FinishReason.TOOL_CALLS,
          },
        ],
        usage,
        sessionId: "s-1",
        systemFingerprint: "fp",
        artifacts,
      }),
    );
  });
});

describe("completion built as literals", () => {
  it("equals create() with content, refusal, tool calls, logprobs, provenance and no usage", () => {
    const toolCalls = [
      create(ToolCallSchema, { id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }),
    ];
    const built = buildCompletion(plan, {
      choices: [
        { index: 1, refusal: "no", toolCalls: [], finishReason: FinishReason.STOP },
        {
          index: 0,
          content: "Hello",
          toolCalls,
          finishReason: FinishReason.TOOL_CALLS,
          logprobs,
          provenance: { total: { page: 1 } },
        },
      ],
      usage: undefined,
      systemFingerprint: "fp",
    });
    const expected = create(ChatCompletionSchema, {
      ...completionHeader,
      choices: [
        {
          index: 0,
          message: { role: Role.ASSISTANT, content: "Hello", toolCalls },
          finishReason: FinishReason.TOOL_CALLS,
          logprobs,
        },
        {
          index: 1,
          message: { role: Role.ASSISTANT, refusal: "no", toolCalls: [] },
          finishReason: FinishReason.STOP,
        },
      ],
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      sessionId: "s-1",
      systemFingerprint: "fp",
      provenance: { total: { page: 1 } },
    });
    expectSameMessage(ChatCompletionSchema, built, expected);
  });
});
