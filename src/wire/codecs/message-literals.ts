import type { ChatMessage, ContentPart, ToolCall } from "../../../gen/vlmrun/agent/v1/chat_pb.js";
import { type ImageDetail, Role } from "../../../gen/vlmrun/agent/v1/enums_pb.js";

// Messages the hot paths build as typed literals instead of with `create()`, which walks the
// schema by reflection: proto3 messages are these plain objects, every field explicit. The fast
// paths that use them are tested field for field against protobuf.

/** A JSON object (not an array, not null): what a decoder may read fields from. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A ChatMessage with every field at its default (no content). */
export function chatMessage(role: Role | 0 = 0): ChatMessage {
  return {
    $typeName: "vlmrun.agent.v1.ChatMessage",
    role,
    parts: [],
    name: "",
    toolCallId: "",
    toolCalls: [],
    events: [],
  };
}

export function textPart(text: string): ContentPart {
  return { $typeName: "vlmrun.agent.v1.ContentPart", part: { case: "text", value: text } };
}

export function imagePart(url: string, detail: ImageDetail | 0): ContentPart {
  return {
    $typeName: "vlmrun.agent.v1.ContentPart",
    part: { case: "imageUrl", value: { $typeName: "vlmrun.agent.v1.ImageUrl", url, detail } },
  };
}

export function toolCall(id: string, type: string, fn?: { name: string; arguments: string }): ToolCall {
  const call: ToolCall = { $typeName: "vlmrun.agent.v1.ToolCall", id, type };
  if (fn)
    call.function = { $typeName: "vlmrun.agent.v1.FunctionCall", name: fn.name, arguments: fn.arguments };
  return call;
}

/** An assistant turn: its text (if any) and its tool calls, as sessions and the agent's history keep it. */
export function assistantTurn(content: string | undefined, toolCalls: ToolCall[]): ChatMessage {
  const message = chatMessage(Role.ASSISTANT);
  message.toolCalls = toolCalls;
  if (content !== undefined) message.content = content;
  return message;
}
