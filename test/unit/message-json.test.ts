import { create, fromJsonString, type MessageInitShape, toJsonString } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ChatMessageSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentEventKind, ImageDetail, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { messageFromJsonText, messageToJsonText } from "../../src/wire/codecs/message-json.js";
import { prng } from "../support/fuzz.js";

// Sessions written by any version must read back the same: the direct path must write exactly
// protobuf's text and read exactly protobuf's message, for common messages and every other kind.

type Init = MessageInitShape<typeof ChatMessageSchema>;

function expectSameAsProtobuf(init: Init): void {
  const message = create(ChatMessageSchema, init);
  const text = toJsonString(ChatMessageSchema, message);
  expect(messageToJsonText(message)).toBe(text);
  expect(messageFromJsonText(text)).toStrictEqual(fromJsonString(ChatMessageSchema, text));
}

describe("session message JSON", () => {
  it("writes and reads common and uncommon messages as protobuf does", () => {
    const cases: Init[] = [
      { role: Role.USER, content: "hello" },
      { role: Role.USER, content: "" },
      { role: Role.ASSISTANT },
      {},
      {
        role: Role.USER,
        parts: [
          { part: { case: "text", value: "what is this" } },
          { part: { case: "text", value: "" } },
          {
            part: {
              case: "imageUrl",
              value: { url: "data:image/png;base64,AA==", detail: ImageDetail.HIGH },
            },
          },
          { part: { case: "imageUrl", value: {} } },
        ],
      },
      {
        role: Role.ASSISTANT,
        toolCalls: [
          { id: "c1", type: "function", function: { name: "f", arguments: '{"a":"é\\u0000"}' } },
          { id: "c2" },
          { function: {} },
        ],
      },
      { role: Role.TOOL, toolCallId: "c1", name: "f", content: "42 \u2028 \ud83c\udf89" },
      // Left to protobuf: other part kinds, agent events, an empty part.
      { role: Role.USER, parts: [{ part: { case: "videoUrl", value: { url: "https://x.test/v.mp4" } } }] },
      { role: Role.USER, parts: [{ part: { case: "inputFile", value: { fileId: "f1" } } }] },
      { role: Role.USER, parts: [{}] },
      {
        role: Role.ASSISTANT,
        content: "done",
        events: [{ sequence: 1n, kind: AgentEventKind.TOOL_STARTED, toolName: "ocr", callId: "c1" }],
      },
    ];
    for (const init of cases) expectSameAsProtobuf(init);
  });

  it("reads what other writers may have stored (snake_case, enum numbers, nulls) as protobuf does", () => {
    const texts = [
      '{"role":1,"content":"x"}',
      '{"role":"ROLE_USER","tool_call_id":"c"}',
      '{"role":"ROLE_USER","content":null}',
      '{"role":"ROLE_USER","parts":[{"image_url":{"url":"u","detail":2}}]}',
      '{"role":"ROLE_ASSISTANT","toolCalls":[{"id":"c","function":{"name":"f","arguments":"{}"}}]}',
      '{"role":"ROLE_UNSPECIFIED"}',
    ];
    for (const text of texts) {
      expect(messageFromJsonText(text)).toStrictEqual(fromJsonString(ChatMessageSchema, text));
    }
    // What protobuf refuses is refused here too, not half read.
    for (const text of [
      '{"role":"ROLE_USER","parts":[{"text":"a","imageUrl":{}}]}',
      '{"role":"ROLE_USER","parts":[{"text":"a","extra":1}]}',
      '{"role":"ROLE_WIZARD"}',
      '{"role":"ROLE_USER","surprise":true}',
    ]) {
      expect(() => fromJsonString(ChatMessageSchema, text)).toThrow();
      expect(() => messageFromJsonText(text)).toThrow();
    }
  });

  it("agrees with protobuf on thousands of generated messages", () => {
    const random = prng(7);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
    const maybe = <T>(value: T): T | undefined => (random() < 0.5 ? value : undefined);
    const strings = ["", "a", 'héllo "quoted" \\ \n', "🎉", '{"k":1}'];
    const part = (): NonNullable<Init["parts"]>[number] =>
      pick([
        () => ({ part: { case: "text" as const, value: pick(strings) } }),
        () => ({
          part: {
            case: "imageUrl" as const,
            value: {
              url: pick(strings),
              detail: pick([0, ImageDetail.LOW, ImageDetail.HIGH, ImageDetail.AUTO]),
            },
          },
        }),
        () => ({ part: { case: "fileUrl" as const, value: { url: pick(strings) } } }),
      ])();
    let direct = 0;
    for (let i = 0; i < 3000; i++) {
      const init: Init = {
        role: pick([Role.UNSPECIFIED, Role.USER, Role.ASSISTANT, Role.TOOL, Role.SYSTEM]),
        content: maybe(pick(strings)),
        parts: Array.from({ length: Math.floor(random() * 3) }, part),
        name: pick(strings),
        toolCallId: pick(strings),
        toolCalls: Array.from({ length: Math.floor(random() * 3) }, () => ({
          id: pick(strings),
          type: pick(["", "function"]),
          function: maybe({ name: pick(strings), arguments: pick(strings) }),
        })),
      };
      expectSameAsProtobuf(init);
      if (!(init.parts ?? []).some((p) => p.part?.case === "fileUrl")) direct++;
    }
    expect(direct).toBeGreaterThan(1000); // the direct path was exercised, not only the fallback
  });
});
