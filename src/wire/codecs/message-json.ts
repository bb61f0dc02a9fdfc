import { type DescEnum, fromJson, type JsonValue, toJsonString } from "@bufbuild/protobuf";
import {
  type ChatMessage,
  ChatMessageSchema,
  type ContentPart,
  type ToolCall,
} from "../../../gen/vlmrun/agent/v1/chat_pb.js";
import { ImageDetailSchema, RoleSchema } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { chatMessage, imagePart, isJsonObject, textPart, toolCall } from "./message-literals.js";

/**
 * A stored conversation message ↔ its proto JSON text, the form sessions keep in the store.
 *
 * Every chat in a session reads its whole history back (up to ORION_SESSION_MAX_MESSAGES) and
 * appends its turn, and protobuf's reflection costs about 4–8 µs per message each way. The
 * common messages (text, images, tool calls) are written and read here directly; any other
 * (agent events, other part kinds, a form this side does not write) goes through
 * `toJsonString`/`fromJson`. Both paths give the same text and the same message:
 * message-json.test.ts checks them against protobuf over generated messages.
 */

function enumNames(desc: DescEnum) {
  const byNumber = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const value of desc.values) {
    byNumber.set(value.number, value.name);
    byName.set(value.name, value.number);
  }
  return { byNumber, byName };
}

const roles = enumNames(RoleSchema);
const details = enumNames(ImageDetailSchema);

export function messageToJsonText(message: ChatMessage): string {
  const json = commonMessageJson(message);
  return json ? JSON.stringify(json) : toJsonString(ChatMessageSchema, message);
}

export function messageFromJsonText(text: string): ChatMessage {
  const json = JSON.parse(text) as JsonValue;
  return commonMessage(json) ?? fromJson(ChatMessageSchema, json);
}

/** The object `toJson` makes (same keys, same order), or undefined when the message is not a common one. */
function commonMessageJson(message: ChatMessage): Record<string, unknown> | undefined {
  if (message.events.length > 0 || "$unknown" in message) return undefined;
  const json: Record<string, unknown> = {};
  if (message.role !== 0) {
    const role = roles.byNumber.get(message.role);
    if (role === undefined) return undefined;
    json.role = role;
  }
  if (message.content !== undefined) json.content = message.content;
  if (message.parts.length > 0) {
    const parts: unknown[] = [];
    for (const part of message.parts) {
      if (part.part.case === "text") parts.push({ text: part.part.value });
      else if (part.part.case === "imageUrl") {
        const image: Record<string, unknown> = {};
        const { url, detail } = part.part.value;
        if (url !== "") image.url = url;
        if (detail !== 0) {
          const name = details.byNumber.get(detail);
          if (name === undefined) return undefined;
          image.detail = name;
        }
        parts.push({ imageUrl: image });
      } else return undefined;
    }
    json.parts = parts;
  }
  if (message.name !== "") json.name = message.name;
  if (message.toolCallId !== "") json.toolCallId = message.toolCallId;
  if (message.toolCalls.length > 0) {
    json.toolCalls = message.toolCalls.map((call) => {
      const out: Record<string, unknown> = {};
      if (call.id !== "") out.id = call.id;
      if (call.type !== "") out.type = call.type;
      if (call.function) {
        const fn: Record<string, unknown> = {};
        if (call.function.name !== "") fn.name = call.function.name;
        if (call.function.arguments !== "") fn.arguments = call.function.arguments;
        out.function = fn;
      }
      return out;
    });
  }
  return json;
}

/** The message for JSON in exactly the form `messageToJsonText` writes, else undefined. */
function commonMessage(json: JsonValue): ChatMessage | undefined {
  if (!isJsonObject(json)) return undefined;
  const message = chatMessage();
  for (const key in json) {
    const value = json[key];
    switch (key) {
      case "role": {
        const role = typeof value === "string" ? roles.byName.get(value) : undefined;
        if (role === undefined) return undefined;
        message.role = role;
        break;
      }
      case "content":
        if (typeof value !== "string") return undefined;
        message.content = value;
        break;
      case "parts":
        if (!Array.isArray(value)) return undefined;
        for (const entry of value) {
          const part = commonPart(entry);
          if (!part) return undefined;
          message.parts.push(part);
        }
        break;
      case "name":
        if (typeof value !== "string") return undefined;
        message.name = value;
        break;
      case "toolCallId":
        if (typeof value !== "string") return undefined;
        message.toolCallId = value;
        break;
      case "toolCalls":
        if (!Array.isArray(value)) return undefined;
        for (const entry of value) {
          const call = commonToolCall(entry);
          if (!call) return undefined;
          message.toolCalls.push(call);
        }
        break;
      default:
        return undefined;
    }
  }
  return message;
}

function commonPart(entry: unknown): ContentPart | undefined {
  if (!isJsonObject(entry)) return undefined;
  const keys = Object.keys(entry);
  if (keys.length !== 1) return undefined;
  if (typeof entry.text === "string") {
    return textPart(entry.text);
  }
  const image = entry.imageUrl;
  if (!isJsonObject(image)) return undefined;
  let url = "";
  let detail = 0;
  for (const key in image) {
    const value = image[key];
    if (key === "url" && typeof value === "string") url = value;
    else if (key === "detail" && typeof value === "string" && details.byName.has(value)) {
      detail = details.byName.get(value) as number;
    } else return undefined;
  }
  return imagePart(url, detail);
}

function commonToolCall(entry: unknown): ToolCall | undefined {
  if (!isJsonObject(entry)) return undefined;
  let id = "";
  let type = "";
  let fn: { name: string; arguments: string } | undefined;
  for (const key in entry) {
    const value = entry[key];
    if (key === "id" && typeof value === "string") id = value;
    else if (key === "type" && typeof value === "string") type = value;
    else if (key === "function" && isJsonObject(value)) {
      fn = { name: "", arguments: "" };
      for (const field in value) {
        const text = value[field];
        if (field === "name" && typeof text === "string") fn.name = text;
        else if (field === "arguments" && typeof text === "string") fn.arguments = text;
        else return undefined;
      }
    } else return undefined;
  }
  return toolCall(id, type, fn);
}
