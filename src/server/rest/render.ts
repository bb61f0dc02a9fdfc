import type {
  AgentEvent,
  ArtifactPreview,
  ArtifactRef,
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  ChoiceLogprobs,
  Usage,
} from "../../../gen/vlmrun/agent/v1/chat_pb.js";
import type { AgentModelInfo, ListModelsResponse } from "../../../gen/vlmrun/agent/v1/service_pb.js";
import { wireNames } from "../../wire/names.js";
import { openAIMessage, openAIToolCall } from "../../wire/openai-message.js";

/** Proto replies as OpenAI JSON: numbers as numbers, explicit nulls where OpenAI has them. */

function logprobsJson(logprobs: ChoiceLogprobs | undefined) {
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

function usageJson(usage: Usage | undefined) {
  return {
    prompt_tokens: usage?.promptTokens ?? 0,
    completion_tokens: usage?.completionTokens ?? 0,
    total_tokens: usage?.totalTokens ?? 0,
  };
}

const toolCallJson = openAIToolCall;

function previewJson(p: ArtifactPreview) {
  return { object_id: p.objectId, content_type: p.contentType, data_url: p.dataUrl };
}

export function agentEventJson(event: AgentEvent) {
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

export function completionJson(c: ChatCompletion) {
  const body: Record<string, unknown> = {
    id: c.id,
    object: "chat.completion",
    created: Number(c.created),
    model: c.model,
    choices: c.choices.map((choice) => {
      const message: Record<string, unknown> = {
        role: "assistant",
        content: choice.message?.content ?? null,
        refusal: choice.message?.refusal ?? null,
      };
      if (choice.message && choice.message.toolCalls.length > 0) {
        message.tool_calls = choice.message.toolCalls.map(toolCallJson);
      }
      return {
        index: choice.index,
        message,
        logprobs: logprobsJson(choice.logprobs),
        finish_reason: wireNames.finishReason.toWire(choice.finishReason) ?? "stop",
      };
    }),
    usage: usageJson(c.usage),
    session_id: c.sessionId,
  };
  if (c.systemFingerprint) body.system_fingerprint = c.systemFingerprint;
  if (c.previews.length > 0) body.previews = c.previews.map(previewJson);
  body.artifacts = c.artifacts.map(artifactRefJson);
  if (c.provenance) body._provenance = c.provenance;
  return body;
}

function artifactRefJson(a: ArtifactRef) {
  return { id: a.id, content_type: a.contentType, bytes: Number(a.bytes), url: a.url };
}

export function chunkJson(c: ChatCompletionChunk) {
  const body: Record<string, unknown> = {
    id: c.id,
    object: "chat.completion.chunk",
    created: Number(c.created),
    model: c.model,
    choices: c.choices.map((choice) => {
      const delta: Record<string, unknown> = {};
      const d = choice.delta;
      if (d) {
        const role = wireNames.role.toWire(d.role);
        if (role) delta.role = role;
        if (d.content !== undefined) delta.content = d.content;
        if (d.refusal !== undefined) delta.refusal = d.refusal;
        if (d.toolCalls.length > 0) {
          delta.tool_calls = d.toolCalls.map((t) => {
            const call: Record<string, unknown> = { index: t.index, id: t.id };
            if (t.type) call.type = t.type;
            const fn: Record<string, unknown> = { arguments: t.function?.arguments ?? "" };
            if (t.function?.name) fn.name = t.function.name;
            call.function = fn;
            return call;
          });
        }
      }
      return {
        index: choice.index,
        delta,
        logprobs: logprobsJson(choice.logprobs),
        finish_reason: wireNames.finishReason.toWire(choice.finishReason) ?? null,
      };
    }),
    session_id: c.sessionId,
  };
  if (c.systemFingerprint) body.system_fingerprint = c.systemFingerprint;
  if (c.usage) body.usage = usageJson(c.usage);
  if (c.agentEvent) body.agent_event = agentEventJson(c.agentEvent);
  if (c.previews.length > 0) body.previews = c.previews.map(previewJson);
  // The final chunk (no choices, no event, no previews) always lists the run's files, [] for none.
  const final = c.choices.length === 0 && !c.agentEvent && c.previews.length === 0;
  if (final || c.artifacts.length > 0) body.artifacts = c.artifacts.map(artifactRefJson);
  return body;
}

export function modelJson(m: AgentModelInfo) {
  return {
    id: m.id,
    object: "model",
    created: Number(m.created),
    owned_by: m.ownedBy,
    backend: m.backend,
    resolves_to: wireNames.agentModel.toWire(m.resolvesTo) ?? m.id,
  };
}

export function modelListJson(list: ListModelsResponse) {
  return {
    object: "list",
    data: list.models.map(modelJson),
    providers: list.providers.map((p) => ({
      id: p.id,
      available: p.available,
      setting: p.setting,
      ...(p.available ? {} : { unavailable_reason: p.unavailableReason }),
    })),
  };
}

/** A stored conversation message in OpenAI shape, with the tool events of its turn when it has any. */
export const messageJson = (m: ChatMessage) =>
  m.events.length > 0 ? { ...openAIMessage(m), tool_events: m.events.map(agentEventJson) } : openAIMessage(m);
