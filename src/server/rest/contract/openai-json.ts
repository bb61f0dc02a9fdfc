import type {
  AgentEvent,
  ArtifactPreview,
  ArtifactRef,
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  ChoiceLogprobs,
  ToolCall,
  ToolCallDelta,
  Usage,
} from "../../../../gen/vlmrun/agent/v1/chat_pb.js";
import type { AgentModelInfo, ListModelsResponse } from "../../../../gen/vlmrun/agent/v1/service_pb.js";
import { openAIMessage } from "../../../wire/codecs/openai-message.js";
import { wireNames } from "../../../wire/names.js";
import type {
  AgentEventJson,
  ChatCompletionChunkJson,
  ChatCompletionJson,
  ModelJson,
  ModelListJson,
} from "./response-schemas.js";

/**
 * Proto replies as OpenAI JSON: numbers as numbers, explicit nulls where OpenAI has them. Each
 * object is a literal of its response-schemas.ts type, so the contract and the renderer cannot
 * drift apart without `tsc` saying so; an optional field left `undefined` is not sent
 * (`JSON.stringify` drops it).
 */

type CompletionChoiceJson = ChatCompletionJson["choices"][number];
type ChunkChoiceJson = ChatCompletionChunkJson["choices"][number];
type ToolCallJson = NonNullable<CompletionChoiceJson["message"]["tool_calls"]>[number];
type ToolCallDeltaJson = NonNullable<ChunkChoiceJson["delta"]["tool_calls"]>[number];
type LogprobsJson = CompletionChoiceJson["logprobs"];
type UsageJson = ChatCompletionJson["usage"];
type PreviewJson = NonNullable<ChatCompletionJson["previews"]>[number];
type ArtifactRefJson = ChatCompletionJson["artifacts"][number];

function logprobsJson(logprobs: ChoiceLogprobs | undefined): LogprobsJson {
  if (!logprobs) return null;
  return {
    content: logprobs.content.map((t) => ({
      token: t.token,
      logprob: t.logprob,
      bytes: t.bytes.length > 0 ? t.bytes : null,
      top_logprobs: t.topLogprobs.map((a) => ({
        token: a.token,
        logprob: a.logprob,
        bytes: a.bytes.length > 0 ? a.bytes : null,
      })),
    })),
  };
}

function usageJson(usage: Usage | undefined): UsageJson {
  return {
    prompt_tokens: usage?.promptTokens ?? 0,
    completion_tokens: usage?.completionTokens ?? 0,
    total_tokens: usage?.totalTokens ?? 0,
  };
}

const toolCallJson = (call: ToolCall): ToolCallJson => ({
  id: call.id,
  type: "function",
  function: { name: call.function?.name ?? "", arguments: call.function?.arguments ?? "" },
});

const toolCallDeltaJson = (t: ToolCallDelta): ToolCallDeltaJson => ({
  index: t.index,
  id: t.id,
  type: t.type ? "function" : undefined,
  function: { arguments: t.function?.arguments ?? "", name: t.function?.name || undefined },
});

const previewJson = (p: ArtifactPreview): PreviewJson => ({
  object_id: p.objectId,
  content_type: p.contentType,
  data_url: p.dataUrl,
});

export const artifactRefJson = (a: ArtifactRef): ArtifactRefJson => ({
  id: a.id,
  content_type: a.contentType,
  bytes: Number(a.bytes),
  url: a.url,
});

/** A non-empty list rendered, or nothing (the field is then not sent). */
const some = <T, J>(items: T[], render: (item: T) => J): J[] | undefined =>
  items.length > 0 ? items.map(render) : undefined;

export function agentEventJson(event: AgentEvent): AgentEventJson {
  return {
    sequence: Number(event.sequence),
    kind: wireNames.agentEventKind.toWire(event.kind) ?? "unknown",
    tool_name: event.toolName,
    call_id: event.callId,
    message: event.message,
    artifact_ids: event.artifactIds,
    choice_index: event.choiceIndex,
  };
}

export function completionJson(c: ChatCompletion): ChatCompletionJson {
  return {
    id: c.id,
    object: "chat.completion",
    created: Number(c.created),
    model: c.model,
    choices: c.choices.map(
      (choice): CompletionChoiceJson => ({
        index: choice.index,
        message: {
          role: "assistant",
          content: choice.message?.content ?? null,
          refusal: choice.message?.refusal ?? null,
          tool_calls: some(choice.message?.toolCalls ?? [], toolCallJson),
        },
        logprobs: logprobsJson(choice.logprobs),
        finish_reason: wireNames.finishReason.toWire(choice.finishReason) ?? "stop",
      }),
    ),
    usage: usageJson(c.usage),
    session_id: c.sessionId,
    system_fingerprint: c.systemFingerprint || undefined,
    previews: some(c.previews, previewJson),
    artifacts: c.artifacts.map(artifactRefJson),
    _provenance: c.provenance,
  };
}

export function chunkJson(c: ChatCompletionChunk): ChatCompletionChunkJson {
  return {
    id: c.id,
    object: "chat.completion.chunk",
    created: Number(c.created),
    model: c.model,
    choices: c.choices.map((choice): ChunkChoiceJson => {
      const d = choice.delta;
      return {
        index: choice.index,
        delta: d
          ? {
              role: wireNames.role.toWire(d.role) || undefined,
              content: d.content,
              refusal: d.refusal,
              tool_calls: some(d.toolCalls, toolCallDeltaJson),
            }
          : {},
        logprobs: logprobsJson(choice.logprobs),
        finish_reason: wireNames.finishReason.toWire(choice.finishReason) ?? null,
      };
    }),
    session_id: c.sessionId,
    system_fingerprint: c.systemFingerprint || undefined,
    usage: c.usage ? usageJson(c.usage) : undefined,
    agent_event: c.agentEvent ? agentEventJson(c.agentEvent) : undefined,
    previews: some(c.previews, previewJson),
    // The final chunk (no choices, no event, no previews) always lists the run's files, [] for none.
    artifacts: isFinalChunk(c) ? c.artifacts.map(artifactRefJson) : some(c.artifacts, artifactRefJson),
  };
}

function isFinalChunk(c: ChatCompletionChunk): boolean {
  return c.choices.length === 0 && !c.agentEvent && c.previews.length === 0;
}

export function modelJson(m: AgentModelInfo): ModelJson {
  return {
    id: m.id,
    object: "model",
    created: Number(m.created),
    owned_by: m.ownedBy,
    backend: m.backend,
    resolves_to: wireNames.agentModel.toWire(m.resolvesTo) ?? m.id,
  };
}

export function modelListJson(list: ListModelsResponse): ModelListJson {
  return {
    object: "list",
    data: list.models.map(modelJson),
    providers: list.providers.map((p): ModelListJson["providers"][number] => ({
      id: p.id,
      available: p.available,
      setting: p.setting,
      unavailable_reason: p.available ? undefined : p.unavailableReason,
    })),
  };
}

/** A stored conversation message in OpenAI shape, with the tool events of its turn when it has any. */
export const messageJson = (m: ChatMessage) =>
  m.events.length > 0 ? { ...openAIMessage(m), tool_events: m.events.map(agentEventJson) } : openAIMessage(m);
