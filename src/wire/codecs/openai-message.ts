import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { ChatMessage, ContentPart, ToolCall } from "../../../gen/vlmrun/agent/v1/chat_pb.js";
import { wireNames } from "../names.js";

/** Proto chat messages in OpenAI JSON, for upstream calls and for stored sessions alike. */

export function openAIToolCall(call: ToolCall): JsonObject {
  return {
    id: call.id,
    type: "function",
    function: { name: call.function?.name ?? "", arguments: call.function?.arguments ?? "" },
  };
}

export function openAIPart(part: ContentPart): JsonValue {
  const p = part.part;
  switch (p.case) {
    case "text":
      return { type: "text", text: p.value };
    case "imageUrl": {
      const detail = wireNames.imageDetail.toWire(p.value.detail);
      return { type: "image_url", image_url: detail ? { url: p.value.url, detail } : { url: p.value.url } };
    }
    case "videoUrl":
      return { type: "video_url", video_url: { url: p.value.url } };
    case "audioUrl":
      return { type: "audio_url", audio_url: { url: p.value.url } };
    case "fileUrl":
      return { type: "file_url", file_url: { url: p.value.url } };
    case "inputFile":
      return p.value.fileUrl === "" && p.value.fileId !== ""
        ? { type: "input_file", file_id: p.value.fileId }
        : { type: "file_url", file_url: { url: p.value.fileUrl } };
    default:
      return { type: "text", text: "" };
  }
}

/** `role` may be overridden (upstreams that do not know `developer` get `system`). */
export function openAIMessage(
  message: ChatMessage,
  role = wireNames.role.toWire(message.role) ?? "user",
): JsonObject {
  const out: JsonObject = {
    role,
    content: message.parts.length > 0 ? message.parts.map(openAIPart) : (message.content ?? null),
  };
  if (message.name) out.name = message.name;
  if (message.toolCallId) out.tool_call_id = message.toolCallId;
  if (message.toolCalls.length > 0) out.tool_calls = message.toolCalls.map(openAIToolCall);
  return out;
}
