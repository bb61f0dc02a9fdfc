import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import {
  type ChatCompletionRequest,
  ChatCompletionRequestSchema,
  type ContentPartSchema,
  type SkillSpecSchema,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { ResponseFormatType, Role, SkillType } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { ExecuteAgentRequest } from "../../gen/vlmrun/agent/v1/executions_pb.js";
import type { ExecutionConfig, FetchPolicy } from "../config.js";
import { type FieldViolation, Reason, reasonError, validationError } from "../errors.js";
import type { Caller } from "../identity/caller.js";
import { checkUrl, FetchRefused } from "../media/guarded-fetch.js";
import type { SkillLibrary } from "../skills/skill-library.js";

/** What a run needs besides the record: the chat it runs, for whom, and where to report. */
export interface ExecutionSpec {
  /** The chat request, as proto JSON. */
  chat: unknown;
  caller: Caller;
  callbackUrl: string;
}

const MAX_NAME = 256;
const MAX_METADATA_BYTES = 16 * 1024;

/**
 * The checks an execution must pass when it is submitted, so a bad one is a 4xx at once rather
 * than a failed run later: batch, a prompt or a named agent, the inputs' count, the callback URL
 * (the media URL guard, plus a signing secret on this server). The chat's own rules (model,
 * toolsets, skills, json_schema, URLs of the inputs) are checked by the chat planner next.
 */
export async function checkSubmission(
  request: ExecuteAgentRequest,
  config: ExecutionConfig,
  fetch: FetchPolicy,
  skills: SkillLibrary,
): Promise<void> {
  const inputs = Object.keys(request.inputs).length;
  if (inputs > config.maxInputs) {
    throw reasonError(
      Code.InvalidArgument,
      Reason.payloadTooLarge,
      `${inputs} inputs are more than ${config.maxInputs} (ORION_EXECUTION_MAX_INPUTS)`,
      { metadata: { field: "inputs" } },
    );
  }
  const violations: FieldViolation[] = [];
  if (request.batch !== true) {
    violations.push({
      field: "batch",
      description: "batch must be true: executions run in the background (poll them, or set callback_url)",
      type: "value_error",
    });
  }
  if (request.name.length > MAX_NAME) {
    violations.push({
      field: "name",
      description: `at most ${MAX_NAME} characters`,
      type: "string_too_long",
    });
  }
  const prompt = request.config?.prompt ?? "";
  const skillGiven = (request.config?.skills.length ?? 0) > 0;
  if (request.name !== "" && !skills.list().some((s) => s.name === agentName(request.name).name)) {
    violations.push({
      field: "name",
      description: `no agent named "${agentName(request.name).name}" on this server (its agents are the skills GET /v1/skills lists)`,
      type: "value_error",
    });
  } else if (prompt.trim() === "" && request.name === "" && !skillGiven) {
    violations.push({
      field: "config.prompt",
      description: "give a prompt, or name an agent (name) or a skill (config.skills) that supplies one",
      type: "missing",
    });
  }
  if (request.metadata && JSON.stringify(request.metadata).length > MAX_METADATA_BYTES) {
    violations.push({
      field: "metadata",
      description: `at most ${MAX_METADATA_BYTES} bytes`,
      type: "too_long",
    });
  }
  if (request.callbackUrl !== "") {
    const problem = await callbackProblem(request.callbackUrl, config, fetch);
    if (problem) violations.push({ field: "callback_url", description: problem, type: "url_refused" });
  }
  if (violations.length > 0) throw validationError(violations);
}

async function callbackProblem(url: string, config: ExecutionConfig, fetch: FetchPolicy) {
  if (!/^https?:\/\//i.test(url)) return "must be an http(s) URL";
  if (url.length > 2048) return "at most 2048 characters";
  if (!config.webhookSecret)
    return "this server signs no webhooks: its operator has not set ORION_WEBHOOK_SECRET";
  try {
    await checkUrl(url, fetch);
    return undefined;
  } catch (error) {
    if (error instanceof FetchRefused) return `refused: ${error.message}`;
    throw error;
  }
}

/** `name` or `name:version`. */
function agentName(name: string): { name: string; version: string } {
  const [base = "", version = ""] = name.split(":");
  return { name: base, version };
}

/**
 * The chat an execution runs: one user message with the prompt and then the inputs in the order
 * given; `config.json_schema` as the response format; the named agent as a skill; the execution
 * id as the session, so what the run makes is fetched with the execution id.
 */
export function chatRequestOf(request: ExecuteAgentRequest, id: string): ChatCompletionRequest {
  const config = request.config;
  const parts: MessageInitShape<typeof ContentPartSchema>[] = [];
  if (config?.prompt) parts.push({ part: { case: "text", value: config.prompt } });
  for (const part of Object.values(request.inputs)) parts.push(part);
  const skills: MessageInitShape<typeof SkillSpecSchema>[] = [...(config?.skills ?? [])];
  if (request.name !== "") {
    const { name, version } = agentName(request.name);
    skills.unshift({ type: SkillType.SKILL_REFERENCE, skillId: name, skillVersion: version });
  }
  const schema = config?.jsonSchema;
  return create(ChatCompletionRequestSchema, {
    messages: [{ role: Role.USER, parts }],
    model: request.model,
    sessionId: id,
    skills,
    toolsets: request.toolsets,
    streamOptions: { includeUsage: true },
    ...(schema ? { responseFormat: { type: ResponseFormatType.JSON_SCHEMA, schema } } : {}),
    ...(config?.maxTokens !== undefined ? { maxTokens: config.maxTokens } : {}),
    ...(config?.temperature !== undefined ? { temperature: config.temperature } : {}),
  });
}
