import type { ChatCompletionRequest, ChatMessage, ContentPart } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { ResponseFormatType, Role, SkillType } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { FieldViolation } from "../errors.js";
import { wireNames } from "../wire/names.js";
import type { ByteCap } from "./caller-caps.js";
import { RANGES } from "./ranges.js";

type Add = (field: string, description: string, type: string) => void;

/** A text over the cap: measured as UTF-8 only when its length alone does not decide. */
function checkText(add: Add, field: string, text: string, cap: ByteCap): void {
  if (text.length * 3 <= cap.maxBytes) return; // a UTF-16 unit is at most 3 UTF-8 bytes
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > cap.maxBytes) {
    add(
      field,
      `is ${bytes} bytes; a text may have at most ${cap.maxBytes} (${cap.source})`,
      "string_too_long",
    );
  }
}

function range(add: Add, field: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (Number.isNaN(value)) add(field, "must be a number", "float_parsing");
  else if (value < min) add(field, `must be greater than or equal to ${min}`, "greater_than_equal");
  else if (value > max) add(field, `must be less than or equal to ${max}`, "less_than_equal");
}

function known<E extends number>(values: readonly E[], value: E): boolean {
  return values.includes(value);
}

const URL_SCHEMES = /^(data:|https?:\/\/)/i;
/** A file id is ours ("file-" and 32 hex digits); anything much longer is no id at all. */
const MAX_FILE_ID = 128;

function validatePart(add: Add, path: string, part: ContentPart, cap: ByteCap): void {
  const p = part.part;
  switch (p.case) {
    case undefined:
      add(path, "content part has no type", "missing");
      return;
    case "text":
      checkText(add, `${path}.text`, p.value, cap);
      return;
    case "inputFile":
      if (p.value.fileId !== "" && p.value.fileUrl !== "") {
        add(`${path}.input_file`, "set file_id or file_url, not both", "value_error");
      } else if (p.value.fileId.length > MAX_FILE_ID) {
        add(`${path}.input_file.file_id`, `must be at most ${MAX_FILE_ID} characters`, "string_too_long");
      } else if (p.value.fileId !== "") {
        return; // checked against the caller's files when the chat is opened (chat-files.ts)
      } else if (p.value.fileUrl === "") {
        add(`${path}.input_file`, "one of file_id or file_url is required", "missing");
      } else if (!URL_SCHEMES.test(p.value.fileUrl)) {
        add(`${path}.input_file.file_url`, "must be a data: or http(s) URL", "url_scheme");
      }
      return;
    default: {
      const key = {
        imageUrl: "image_url",
        videoUrl: "video_url",
        audioUrl: "audio_url",
        fileUrl: "file_url",
      }[p.case];
      if (p.value.url === "") add(`${path}.${key}.url`, "field required", "missing");
      else if (!URL_SCHEMES.test(p.value.url))
        add(`${path}.${key}.url`, "must be a data: or http(s) URL", "url_scheme");
    }
  }
}

function validateMessage(add: Add, path: string, message: ChatMessage, cap: ByteCap): void {
  if (!known(wireNames.role.values, message.role)) {
    add(`${path}.role`, `must be one of ${wireNames.role.spellings.join(", ")}`, "enum");
  }
  if (message.content !== undefined && message.parts.length > 0) {
    add(`${path}.content`, "set either content (a string) or parts, not both", "value_error");
  }
  if (message.content !== undefined) checkText(add, `${path}.content`, message.content, cap);
  message.parts.forEach((part, i) => {
    validatePart(add, `${path}.parts[${i}]`, part, cap);
  });
  if (message.role === Role.TOOL && message.toolCallId === "") {
    add(`${path}.tool_call_id`, "field required for tool messages", "missing");
  }
  if (message.toolCalls.length > 0 && message.role !== Role.ASSISTANT) {
    add(`${path}.tool_calls`, "only assistant messages carry tool_calls", "value_error");
  }
  message.toolCalls.forEach((call, i) => {
    if (call.id === "") add(`${path}.tool_calls[${i}].id`, "field required", "missing");
    if (!call.function?.name) add(`${path}.tool_calls[${i}].function.name`, "field required", "missing");
    if (call.function)
      checkText(add, `${path}.tool_calls[${i}].function.arguments`, call.function.arguments, cap);
  });
  const empty = message.content === undefined && message.parts.length === 0;
  if (empty && !(message.role === Role.ASSISTANT && message.toolCalls.length > 0)) {
    add(`${path}.content`, "field required", "missing");
  }
}

/**
 * Every semantic rule of the request fields (proto/vlmrun/agent/v1/chat.proto) on a proto request, so gRPC, Connect and REST callers get the
 * same answer. Returns the violations; empty means valid.
 */
export function validateRequest(
  request: ChatCompletionRequest,
  streaming: boolean,
  textCap: ByteCap,
): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const add: Add = (field, description, type) => {
    violations.push({ field, description, type });
  };

  if (request.messages.length === 0) add("messages", "at least 1 message is required", "too_short");
  request.messages.forEach((message, i) => {
    validateMessage(add, `messages[${i}]`, message, textCap);
  });
  if (request.id.length > RANGES.idLength)
    add("id", `must be at most ${RANGES.idLength} characters`, "string_too_long");
  if (!known(wireNames.agentModel.values, request.model) && request.model !== 0) {
    add("model", `must be one of ${wireNames.agentModel.spellings.join(", ")}`, "enum");
  }
  range(add, "max_tokens", request.maxTokens, RANGES.maxTokens.min, RANGES.maxTokens.max);
  range(add, "n", request.n, RANGES.n.min, RANGES.n.max);
  range(add, "temperature", request.temperature, RANGES.temperature.min, RANGES.temperature.max);
  if (request.topP !== undefined && !(request.topP > 0))
    add("top_p", "must be greater than 0", "greater_than");
  range(add, "top_p", request.topP, 0, RANGES.topP.max);
  range(add, "top_k", request.topK, RANGES.topK.min, RANGES.topK.max);
  range(add, "logprobs", request.logprobs, RANGES.logprobs.min, RANGES.logprobs.max);
  range(add, "presence_penalty", request.presencePenalty, RANGES.penalty.min, RANGES.penalty.max);
  range(add, "frequency_penalty", request.frequencyPenalty, RANGES.penalty.min, RANGES.penalty.max);
  if (request.stop.length > RANGES.stop.maxItems) {
    add("stop", `at most ${RANGES.stop.maxItems} stop sequences`, "too_long");
  }
  if (request.stream && !streaming) {
    add("stream", "CreateChatCompletion does not stream; call StreamChatCompletion", "value_error");
  }
  if (request.streamOptions?.includeUsage && !streaming) {
    add("stream_options", "stream_options is only allowed when stream is true", "value_error");
  }
  if (request.sessionId !== "" && !RANGES.sessionId.test(request.sessionId)) {
    add(
      "session_id",
      "must be 1-128 characters of letters, digits, '_', '-', '.', ':'",
      "string_pattern_mismatch",
    );
  }

  const metadataKeys = Object.keys(request.metadata);
  if (metadataKeys.length > RANGES.metadata.maxKeys) {
    add("metadata", `at most ${RANGES.metadata.maxKeys} keys`, "too_long");
  }
  for (const key of metadataKeys) {
    if (key.length > RANGES.metadata.maxKeyLength) {
      add(
        `metadata.${key}`,
        `keys must be at most ${RANGES.metadata.maxKeyLength} characters`,
        "string_too_long",
      );
    }
    if ((request.metadata[key] ?? "").length > RANGES.metadata.maxValueLength) {
      add(
        `metadata.${key}`,
        `values must be at most ${RANGES.metadata.maxValueLength} characters`,
        "string_too_long",
      );
    }
  }

  request.toolsets.forEach((toolset, i) => {
    if (!known(wireNames.toolset.values, toolset)) {
      add(`toolsets[${i}]`, `must be one of ${wireNames.toolset.spellings.join(", ")}`, "enum");
    }
  });
  request.models.forEach((model, i) => {
    if (!known(wireNames.model.values, model)) {
      add(`models[${i}]`, `must be one of ${wireNames.model.spellings.join(", ")}`, "enum");
    }
  });
  request.skills.forEach((skill, i) => {
    const path = `skills[${i}]`;
    if (skill.type === SkillType.INLINE) {
      if (skill.name === "") add(`${path}.name`, "field required for inline skills", "missing");
      if (skill.skillId !== "" || skill.skillName !== "") {
        add(path, "an inline skill must not set skill_id or skill_name", "value_error");
      }
      if (!skill.source || skill.source.data.length === 0) {
        add(`${path}.source.data`, "field required for inline skills", "missing");
      } else if (skill.source.mediaType !== "" && skill.source.mediaType !== "application/zip") {
        add(`${path}.source.media_type`, "must be application/zip", "literal_error");
      }
    } else if (skill.type === SkillType.SKILL_REFERENCE || skill.type === SkillType.UNSPECIFIED) {
      if (skill.skillId === "" && skill.skillName === "") {
        add(path, "one of skill_id or skill_name is required", "missing");
      }
    } else {
      add(`${path}.type`, `must be one of ${wireNames.skillType.spellings.join(", ")}`, "enum");
    }
  });

  const toolNames = new Set<string>();
  request.tools.forEach((tool, i) => {
    const name = tool.function?.name ?? "";
    if (tool.type !== "" && tool.type !== "function")
      add(`tools[${i}].type`, "must be function", "literal_error");
    if (!RANGES.toolName.test(name)) {
      add(
        `tools[${i}].function.name`,
        "must be 1-64 characters of letters, digits, '_' or '-'",
        "string_pattern_mismatch",
      );
    } else if (toolNames.has(name)) {
      add(`tools[${i}].function.name`, `duplicate tool name "${name}"`, "value_error");
    }
    toolNames.add(name);
  });
  const choice = request.toolChoice?.choice;
  if (choice?.case === "functionName" && !toolNames.has(choice.value)) {
    add("tool_choice", `names function "${choice.value}", which is not in tools`, "value_error");
  }
  if (choice?.case === "mode" && !known(wireNames.toolChoiceMode.values, choice.value)) {
    add("tool_choice", `must be one of ${wireNames.toolChoiceMode.spellings.join(", ")}`, "enum");
  }

  const format = request.responseFormat;
  if (format) {
    if (!known(wireNames.responseFormatType.values, format.type)) {
      add(
        "response_format.type",
        `must be one of ${wireNames.responseFormatType.spellings.join(", ")}`,
        "enum",
      );
    }
    if (format.type === ResponseFormatType.JSON_SCHEMA && !format.schema && !format.jsonSchema?.schema) {
      add("response_format", "json_schema needs a schema (schema, or json_schema.schema)", "missing");
    }
  }
  return violations;
}
