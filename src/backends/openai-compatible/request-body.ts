import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { ChatMessage, ResponseFormat, ToolChoice } from "../../../gen/vlmrun/agent/v1/chat_pb.js";
import { ResponseFormatType, Role } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { openAIMessage } from "../../wire/codecs/openai-message.js";
import { wireNames } from "../../wire/names.js";
import type { BackendRequest } from "../backend.js";

/** The OpenAI chat-completions JSON body for an upstream call. */
export function upstreamBody(model: string, request: BackendRequest, stream: boolean): JsonObject {
  const { sampling } = request;
  const body: JsonObject = {
    model,
    messages: request.messages.map(upstreamMessage),
    n: sampling.n,
    temperature: sampling.temperature,
    stream,
  };
  if (stream) body.stream_options = { include_usage: true };
  if (sampling.maxTokens !== undefined) body.max_tokens = sampling.maxTokens;
  if (sampling.topP !== undefined) body.top_p = sampling.topP;
  if (sampling.topK !== undefined) body.top_k = sampling.topK;
  if (sampling.logprobs !== undefined) {
    body.logprobs = true;
    if (sampling.logprobs > 0) body.top_logprobs = sampling.logprobs;
  }
  if (sampling.stop.length > 0) body.stop = sampling.stop;
  if (sampling.seed !== undefined) body.seed = Number(sampling.seed);
  if (sampling.presencePenalty !== undefined) body.presence_penalty = sampling.presencePenalty;
  if (sampling.frequencyPenalty !== undefined) body.frequency_penalty = sampling.frequencyPenalty;
  if (sampling.user !== undefined) body.user = sampling.user;
  const format = request.responseFormat && upstreamResponseFormat(request.responseFormat);
  if (format) body.response_format = format;
  if (request.tools.length > 0) {
    body.tools = request.tools.map((tool) => {
      const fn: JsonObject = { name: tool.function?.name ?? "" };
      if (tool.function?.description) fn.description = tool.function.description;
      if (tool.function?.parameters) fn.parameters = tool.function.parameters;
      if (tool.function?.strict !== undefined) fn.strict = tool.function.strict;
      return { type: "function", function: fn };
    });
  }
  const choice = request.toolChoice && upstreamToolChoice(request.toolChoice);
  if (choice !== undefined) body.tool_choice = choice;
  if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  return body;
}

function upstreamMessage(message: ChatMessage): JsonObject {
  // Many OpenAI-compatible servers (vLLM, llama.cpp) do not know the newer `developer` role.
  const json = message.role === Role.DEVELOPER ? openAIMessage(message, "system") : openAIMessage(message);
  if (Array.isArray(json.content)) json.content = json.content.map(withoutFileIds);
  return json;
}

/**
 * An uploaded file's id means nothing upstream: the model is told the file is attached, and the
 * system note names the artifact the tools read it as.
 */
function withoutFileIds(part: JsonValue): JsonValue {
  if (typeof part !== "object" || part === null || Array.isArray(part) || part.type !== "input_file")
    return part;
  return { type: "text", text: `(uploaded file ${String(part.file_id)} is attached)` };
}

function upstreamResponseFormat(format: ResponseFormat): JsonObject | undefined {
  switch (format.type) {
    case ResponseFormatType.TEXT:
      return { type: "text" };
    case ResponseFormatType.JSON_OBJECT:
      return { type: "json_object" };
    case ResponseFormatType.JSON_SCHEMA: {
      // Upstreams speak the OpenAI form; the Fireworks form (`schema`) is rewritten into it.
      const js = format.jsonSchema;
      const schema = js?.schema ?? format.schema ?? {};
      const spec: JsonObject = { name: js?.name || "response", schema };
      if (js?.description) spec.description = js.description;
      if (js?.strict !== undefined) spec.strict = js.strict;
      return { type: "json_schema", json_schema: spec };
    }
    default:
      return undefined;
  }
}

function upstreamToolChoice(choice: ToolChoice): JsonValue | undefined {
  const c = choice.choice;
  if (c.case === "mode") return wireNames.toolChoiceMode.toWire(c.value);
  if (c.case === "functionName") return { type: "function", function: { name: c.value } };
  return undefined;
}
