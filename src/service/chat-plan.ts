import { randomUUID } from "node:crypto";
import { clone, create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import {
  type ChatCompletionRequest,
  ChatCompletionRequestSchema,
  type ChatMessage,
  ChatMessageSchema,
  ResponseFormatSchema,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentModel, ResponseFormatType, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { namesToolsets } from "../agent/selection.js";
import type { Backend, BackendRequest } from "../backends/backend.js";
import type { BackendRegistry } from "../backends/registry.js";
import { variantOf } from "../backends/variant.js";
import type { Config, Variant } from "../config.js";
import { Reason, reasonError, validationError } from "../errors.js";
import type { Skill } from "../skills/skill.js";
import type { SkillLibrary } from "../skills/skill-library.js";
import { wireNames } from "../wire/names.js";
import type { ByteCap } from "./caller-caps.js";
import { RANGES } from "./ranges.js";
import { validateRequest } from "./validate-request.js";

/** Everything decided about a chat request before the backend is called. */
export interface ChatPlan {
  completionId: string;
  created: bigint;
  /** The model id as the reply names it, e.g. "vlmrun-orion-1:auto". */
  modelName: string;
  /** lite, fast, auto or pro: the metrics label of the chat. */
  variant: Variant;
  sessionId: string;
  backend: Backend;
  backendRequest: BackendRequest;
  includeUsage: boolean;
  /** The request with its skills applied (model, toolsets, response_format). */
  request: ChatCompletionRequest;
  /** Skill instructions, sent before the conversation. */
  instructions: ChatMessage[];
}

function newCompletionId(): string {
  // randomUUID draws from a cached entropy pool; randomBytes makes a syscall per call.
  return `chatcmpl-${randomUUID().replaceAll("-", "")}`;
}

/**
 * Validates a request and resolves its defaults, backend and ids. Throws the ConnectError the
 * caller should see; nothing has been charged or called yet when it does.
 */
export async function planChat(
  original: ChatCompletionRequest,
  streaming: boolean,
  textCap: ByteCap,
  config: Config,
  backends: BackendRegistry,
  skills: SkillLibrary,
): Promise<ChatPlan> {
  const violations = validateRequest(original, streaming, textCap);
  if (violations.length > 0) throw validationError(violations);
  const { request, instructions } = applySkills(
    applyDefaults(original, config),
    await skills.resolve(original.skills),
  );

  for (const model of request.models) {
    const provider = config.providers.get(model);
    if (provider && provider.url === undefined) {
      const name = wireNames.model.toWire(model);
      throw reasonError(
        Code.FailedPrecondition,
        Reason.providerNotConfigured,
        `tool provider "${name}" is not configured on this server: set ${provider.urlSetting}`,
        { metadata: { provider: name ?? "", setting: provider.urlSetting } },
      );
    }
  }

  const knownServers = new Set(config.mcpServers.map((s) => s.name));
  request.mcpServers.forEach((name, i) => {
    if (knownServers.has(name)) return;
    throw validationError([
      {
        field: `toolsets`,
        description: `"mcp:${name}" (mcp_servers[${i}]) is not an MCP server of this server; ORION_MCP_SERVERS names ${[...knownServers].map((n) => `mcp:${n}`).join(", ") || "none"}`,
        type: "enum",
      },
    ]);
  });

  const model = request.model === AgentModel.UNSPECIFIED ? AgentModel.ORION_1_AUTO : request.model;
  const variant = variantOf(model);
  const backend = backends.for(variant);
  if (request.logprobs !== undefined && !backend.capabilities.logprobs) {
    throw reasonError(
      Code.InvalidArgument,
      Reason.unsupported,
      `logprobs are not available from the ${backend.description} backend`,
      { metadata: { field: "logprobs" } },
    );
  }

  const backendRequest: BackendRequest = {
    messages: request.messages,
    sampling: {
      n: request.n ?? RANGES.n.default,
      temperature: request.temperature ?? RANGES.temperature.default,
      stop: request.stop,
    },
    tools: request.tools,
    metadata: request.metadata,
  };
  const { sampling } = backendRequest;
  if (request.maxTokens !== undefined) sampling.maxTokens = request.maxTokens;
  if (request.topP !== undefined) sampling.topP = request.topP;
  if (request.topK !== undefined) sampling.topK = request.topK;
  if (request.logprobs !== undefined) sampling.logprobs = request.logprobs;
  if (request.seed !== undefined) sampling.seed = request.seed;
  if (request.presencePenalty !== undefined) sampling.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) sampling.frequencyPenalty = request.frequencyPenalty;
  if (request.user !== "") sampling.user = request.user;
  if (request.responseFormat) backendRequest.responseFormat = request.responseFormat;
  if (request.toolChoice?.choice.case !== undefined) backendRequest.toolChoice = request.toolChoice;
  if (request.parallelToolCalls !== undefined) backendRequest.parallelToolCalls = request.parallelToolCalls;

  return {
    completionId: request.id || newCompletionId(),
    created: BigInt(Math.floor(Date.now() / 1000)),
    modelName:
      wireNames.agentModel.toWire(request.model === AgentModel.UNSPECIFIED ? model : request.model) ?? "",
    variant,
    sessionId: request.sessionId || randomUUID(),
    backend,
    backendRequest,
    includeUsage: request.streamOptions?.includeUsage ?? false,
    request,
    instructions,
  };
}

/** `vlmrun.yaml` defaults fill what the request leaves unset. */
function applyDefaults(request: ChatCompletionRequest, config: Config): ChatCompletionRequest {
  const { model, toolsets, models } = config.defaults;
  const fillModel = model !== undefined && request.model === AgentModel.UNSPECIFIED;
  const fillToolsets = toolsets.length > 0 && !namesToolsets(request);
  const fillModels = models.length > 0 && request.models.length === 0;
  if (!fillModel && !fillToolsets && !fillModels) return request;
  const effective = clone(ChatCompletionRequestSchema, request);
  if (fillModel) effective.model = model;
  if (fillToolsets) effective.toolsets = [...toolsets];
  if (fillModels) effective.models = [...models];
  return effective;
}

/**
 * A skill adds its instructions, may set the model (when the request has none), sets or narrows
 * the toolsets, and supplies the output schema when the request has none.
 */
function applySkills(request: ChatCompletionRequest, resolved: Skill[]) {
  if (resolved.length === 0) return { request, instructions: [] as ChatMessage[] };
  const effective = clone(ChatCompletionRequestSchema, request);
  const instructions: ChatMessage[] = [];
  for (const [i, skill] of resolved.entries()) {
    if (skill.instructions) {
      instructions.push(
        create(ChatMessageSchema, {
          role: Role.SYSTEM,
          content: `Skill "${skill.name}": ${skill.instructions}`,
        }),
      );
    }
    if (skill.model !== undefined && effective.model === AgentModel.UNSPECIFIED)
      effective.model = skill.model;
    if (skill.toolsets.length > 0) {
      const narrowed =
        effective.toolsets.length > 0
          ? effective.toolsets.filter((t) => skill.toolsets.includes(t))
          : [...skill.toolsets];
      if (narrowed.length === 0) {
        throw validationError([
          {
            field: "toolsets",
            description: `skill "${skill.name}" (skills[${i}]) allows none of the requested toolsets`,
            type: "value_error",
          },
        ]);
      }
      effective.toolsets = narrowed;
    }
    if (skill.schema && !effective.responseFormat) {
      effective.responseFormat = create(ResponseFormatSchema, {
        type: ResponseFormatType.JSON_SCHEMA,
        jsonSchema: { name: skill.name, schema: skill.schema },
      });
    }
  }
  return { request: effective, instructions };
}
