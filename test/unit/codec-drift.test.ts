import {
  create,
  type DescField,
  type DescMessage,
  fromJsonString,
  type Message,
  ScalarType,
  toJsonString,
} from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { describe, expect, it } from "vitest";
import {
  type ChatMessage,
  ChatMessageSchema,
  FunctionCallSchema,
  ImageUrlSchema,
  ToolCallSchema,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { messageFromJsonText, messageToJsonText } from "../../src/wire/codecs/message-json.js";

// The session codec lists fields by hand for speed. A field added to the proto and not taught to
// it must not vanish from stored sessions: every field of every message it writes directly, set
// alone on an otherwise common message, must come out as protobuf writes and reads it.

function sampleScalar(type: ScalarType): unknown {
  switch (type) {
    case ScalarType.STRING:
      return "v";
    case ScalarType.BOOL:
      return true;
    case ScalarType.BYTES:
      return new Uint8Array([1]);
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 7n;
    default:
      return 7;
  }
}

/** Sets `field` of `message` to a value other than its default. */
function setSample(schema: DescMessage, message: Message, field: DescField): void {
  const r = reflect(schema, message);
  switch (field.fieldKind) {
    case "scalar":
      r.set(field, sampleScalar(field.scalar));
      return;
    case "enum":
      r.set(field, field.enum.values.at(-1)?.number ?? 1);
      return;
    case "message":
      r.set(field, reflect(field.message, create(field.message)));
      return;
    case "list": {
      const list = r.get(field);
      if (field.listKind === "scalar") list.add(sampleScalar(field.scalar));
      else if (field.listKind === "enum") list.add(field.enum.values.at(-1)?.number ?? 1);
      else list.add(reflect(field.message, create(field.message)));
      return;
    }
    case "map": {
      const map = r.get(field);
      const value =
        field.mapKind === "scalar"
          ? sampleScalar(field.scalar)
          : field.mapKind === "enum"
            ? 1
            : reflect(field.message, create(field.message));
      map.set(field.mapKey === ScalarType.STRING ? "k" : 1, value);
    }
  }
}

/** A common message holding one of each nested message the codec writes directly. */
function commonMessage(): ChatMessage {
  return create(ChatMessageSchema, {
    role: Role.ASSISTANT,
    content: "hi",
    parts: [],
    toolCalls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
  });
}

function expectSameAsProtobuf(message: ChatMessage, what: string): void {
  const text = toJsonString(ChatMessageSchema, message);
  expect(messageToJsonText(message), `writing ${what}`).toBe(text);
  expect(messageFromJsonText(text), `reading ${what}`).toStrictEqual(fromJsonString(ChatMessageSchema, text));
}

describe("the session codec keeps every proto field", () => {
  it("of ChatMessage", () => {
    for (const field of ChatMessageSchema.fields) {
      const message = commonMessage();
      setSample(ChatMessageSchema, message, field);
      expectSameAsProtobuf(message, `ChatMessage.${field.name}`);
    }
  });

  it("of ToolCall and FunctionCall", () => {
    for (const field of ToolCallSchema.fields) {
      const message = commonMessage();
      setSample(ToolCallSchema, message.toolCalls[0] as Message, field);
      expectSameAsProtobuf(message, `ToolCall.${field.name}`);
    }
    for (const field of FunctionCallSchema.fields) {
      const message = commonMessage();
      const call = message.toolCalls[0];
      if (call) call.function = create(FunctionCallSchema);
      setSample(FunctionCallSchema, call?.function as Message, field);
      expectSameAsProtobuf(message, `FunctionCall.${field.name}`);
    }
  });

  it("of ImageUrl, inside an image part", () => {
    for (const field of ImageUrlSchema.fields) {
      const message = create(ChatMessageSchema, {
        role: Role.USER,
        parts: [{ part: { case: "imageUrl", value: { url: "data:image/png;base64,AA==" } } }],
      });
      const part = message.parts[0]?.part;
      if (part?.case === "imageUrl") setSample(ImageUrlSchema, part.value, field);
      expectSameAsProtobuf(message, `ImageUrl.${field.name}`);
    }
  });
});
