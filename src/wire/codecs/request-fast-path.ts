import type {
  ChatCompletionRequest,
  ChatMessage,
  ContentPart,
  StreamOptions,
  ToolCall,
} from "../../../gen/vlmrun/agent/v1/chat_pb.js";
import type { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { wireNames } from "../names.js";
import { chatMessage, imagePart, isJsonObject, textPart, toolCall } from "./message-literals.js";

/**
 * The commonest chat bodies, decoded straight into the proto request: about 5 % of a chat's CPU
 * went to the zod schema and `create()`, which walks the message schema by reflection.
 *
 * It is an accelerator, not a second validator. Anything it does not recognise exactly (a field
 * outside the common set, an unknown key, a wrong type, an unknown spelling, an out-of-range
 * number) makes it return `undefined`, and the schema (request-schema.ts) decodes the body and
 * words any 422. So it never accepts what the schema refuses and builds the message the schema
 * builds; request-fast-path.test.ts checks both over generated bodies.
 */
export function decodeCommonRequest(body: Record<string, unknown>): ChatCompletionRequest | undefined {
  const request: ChatCompletionRequest = {
    $typeName: "vlmrun.agent.v1.ChatCompletionRequest",
    messages: [],
    id: "",
    model: 0,
    stream: false,
    sessionId: "",
    metadata: {},
    skills: [],
    toolsets: [],
    models: [],
    tools: [],
    stop: [],
    user: "",
    mcpServers: [],
  };
  let sawMessages = false;
  let maxTokens: number | undefined;
  let maxCompletionTokens: number | undefined;
  for (const key in body) {
    const value = body[key];
    if (key === "messages") {
      if (!Array.isArray(value)) return undefined;
      for (const item of value) {
        const message = decodeMessage(item);
        if (!message) return undefined;
        request.messages.push(message);
      }
      sawMessages = true;
      continue;
    }
    if (value === null) {
      if (NULLISH_FIELDS.has(key)) continue;
      return undefined;
    }
    switch (key) {
      case "model": {
        const model = typeof value === "string" ? wireNames.agentModel.fromWire(value) : undefined;
        if (model === undefined) return undefined;
        request.model = model;
        break;
      }
      case "max_tokens":
        if (!isInt32(value)) return undefined;
        maxTokens = value;
        break;
      case "max_completion_tokens":
        if (!isInt32(value)) return undefined;
        maxCompletionTokens = value;
        break;
      case "n":
        if (!isInt32(value)) return undefined;
        request.n = value;
        break;
      case "temperature":
        if (!isFiniteNumber(value)) return undefined;
        request.temperature = value;
        break;
      case "top_p":
        if (!isFiniteNumber(value)) return undefined;
        request.topP = value;
        break;
      case "presence_penalty":
        if (!isFiniteNumber(value)) return undefined;
        request.presencePenalty = value;
        break;
      case "frequency_penalty":
        if (!isFiniteNumber(value)) return undefined;
        request.frequencyPenalty = value;
        break;
      case "stream":
        if (typeof value !== "boolean") return undefined;
        request.stream = value;
        break;
      case "stream_options": {
        const options = decodeStreamOptions(value);
        if (!options) return undefined;
        request.streamOptions = options;
        break;
      }
      case "preview":
        if (typeof value !== "boolean") return undefined;
        request.preview = value;
        break;
      case "parallel_tool_calls":
        if (typeof value !== "boolean") return undefined;
        request.parallelToolCalls = value;
        break;
      case "session_id":
        if (typeof value !== "string") return undefined;
        request.sessionId = value;
        break;
      case "user":
        if (typeof value !== "string") return undefined;
        request.user = value;
        break;
      case "id":
        if (typeof value !== "string") return undefined;
        request.id = value;
        break;
      case "toolsets": {
        const toolsets = decodeToolsets(value);
        if (!toolsets) return undefined;
        request.toolsets = toolsets;
        break;
      }
      case "stop":
        if (typeof value === "string") request.stop = [value];
        else if (isStringArray(value)) request.stop = value;
        else return undefined;
        break;
      default:
        return undefined;
    }
  }
  if (!sawMessages) return undefined;
  if (maxTokens !== undefined && maxCompletionTokens !== undefined && maxTokens !== maxCompletionTokens) {
    return undefined;
  }
  const tokens = maxTokens ?? maxCompletionTokens;
  if (tokens !== undefined) request.maxTokens = tokens;
  return request;
}

/** Top-level fields this path knows that the schema also accepts as null (meaning absent). */
const NULLISH_FIELDS: ReadonlySet<string> = new Set([
  "model",
  "max_tokens",
  "max_completion_tokens",
  "n",
  "temperature",
  "top_p",
  "presence_penalty",
  "frequency_penalty",
  "stream",
  "stream_options",
  "preview",
  "parallel_tool_calls",
  "session_id",
  "user",
  "id",
  "toolsets",
  "stop",
]);

function isInt32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= -2147483648 && (value as number) <= 2147483647;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function decodeMessage(item: unknown): ChatMessage | undefined {
  if (!isJsonObject(item)) return undefined;
  const message = chatMessage();
  let sawRole = false;
  for (const key in item) {
    const value = item[key];
    switch (key) {
      case "role": {
        const role = typeof value === "string" ? wireNames.role.fromWire(value) : undefined;
        if (role === undefined) return undefined;
        message.role = role;
        sawRole = true;
        break;
      }
      case "content":
        if (typeof value === "string") message.content = value;
        else if (Array.isArray(value)) {
          for (const entry of value) {
            const part = decodePart(entry);
            if (!part) return undefined;
            message.parts.push(part);
          }
        } else if (value !== null) return undefined;
        break;
      case "name":
        if (typeof value === "string") message.name = value;
        else if (value !== null) return undefined;
        break;
      case "tool_call_id":
        if (typeof value === "string") message.toolCallId = value;
        else if (value !== null) return undefined;
        break;
      case "tool_calls":
        if (Array.isArray(value)) {
          for (const entry of value) {
            const call = decodeToolCall(entry);
            if (!call) return undefined;
            message.toolCalls.push(call);
          }
        } else if (value !== null) return undefined;
        break;
      default:
        return undefined;
    }
  }
  return sawRole ? message : undefined;
}

/** Text and image parts; the other kinds are left to the schema. */
function decodePart(entry: unknown): ContentPart | undefined {
  if (!isJsonObject(entry)) return undefined;
  const keys = Object.keys(entry);
  if (keys.length !== 2) return undefined;
  if (entry.type === "text" && typeof entry.text === "string") {
    return textPart(entry.text);
  }
  if (entry.type === "image_url" && "image_url" in entry) {
    const ref = entry.image_url;
    if (typeof ref === "string") {
      return imagePart(ref, 0);
    }
    if (!isJsonObject(ref) || typeof ref.url !== "string") return undefined;
    let detail = 0;
    for (const key in ref) {
      if (key === "url") continue;
      if (key !== "detail" || typeof ref.detail !== "string") return undefined;
      const value = wireNames.imageDetail.fromWire(ref.detail);
      if (value === undefined) return undefined;
      detail = value;
    }
    return imagePart(ref.url, detail);
  }
  return undefined;
}

/** A call with JSON-text arguments (parsed arguments are left to the schema). */
function decodeToolCall(entry: unknown): ToolCall | undefined {
  if (!isJsonObject(entry) || typeof entry.id !== "string") return undefined;
  for (const key in entry) {
    if (key === "id" || key === "function") continue;
    if (key !== "type" || entry.type !== "function") return undefined;
  }
  const fn = entry.function;
  if (!isJsonObject(fn) || typeof fn.name !== "string" || typeof fn.arguments !== "string") return undefined;
  if (Object.keys(fn).length !== 2) return undefined;
  return toolCall(entry.id, "function", { name: fn.name, arguments: fn.arguments });
}

function decodeStreamOptions(value: unknown): StreamOptions | undefined {
  if (!isJsonObject(value)) return undefined;
  let includeUsage = false;
  for (const key in value) {
    const flag = value[key];
    if (key !== "include_usage") return undefined;
    if (typeof flag === "boolean") includeUsage = flag;
    else if (flag !== null) return undefined;
  }
  return { $typeName: "vlmrun.agent.v1.StreamOptions", includeUsage };
}

function decodeToolsets(value: unknown): Toolset[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const toolsets: Toolset[] = [];
  for (const item of value) {
    const toolset = typeof item === "string" ? wireNames.toolset.fromWire(item) : undefined;
    if (toolset === undefined) return undefined;
    toolsets.push(toolset);
  }
  return toolsets;
}
