import { toJson } from "@bufbuild/protobuf";
import { timestampDate, ValueSchema } from "@bufbuild/protobuf/wkt";
import type { Execution, ExecutionEvent } from "../../../../gen/vlmrun/agent/v1/executions_pb.js";
import { wireNames } from "../../../wire/names.js";
import type { ExecutionEventJson, ExecutionJson } from "./execution-schemas.js";
import { agentEventJson, artifactRefJson } from "./openai-json.js";

const iso = (t: Parameters<typeof timestampDate>[0] | undefined) =>
  t ? timestampDate(t).toISOString() : null;

/**
 * An execution as the hosted API and its SDKs read it (`AgentExecutionResponse`): id, name, status,
 * created_at, completed_at, response, usage; plus what this server adds (error, artifacts, model,
 * metadata, attempts).
 */
export function executionJson(e: Execution): ExecutionJson {
  return {
    id: e.id,
    name: e.name || null,
    status: (wireNames.executionStatus.toWire(e.status) ?? "pending") as ExecutionJson["status"],
    created_at: iso(e.createdAt),
    completed_at: iso(e.completedAt),
    response: e.response ? toJson(ValueSchema, e.response) : null,
    usage: {
      steps: e.usage?.steps ?? 0,
      duration_seconds: e.usage?.durationSeconds ?? 0,
      prompt_tokens: e.usage?.promptTokens ?? 0,
      completion_tokens: e.usage?.completionTokens ?? 0,
      total_tokens: e.usage?.totalTokens ?? 0,
      credits_used: null,
      elements_processed: null,
      element_type: null,
      message: null,
    },
    error: e.error || null,
    artifacts: e.artifacts.map(artifactRefJson),
    model: wireNames.agentModel.toWire(e.model) ?? "vlmrun-orion-1:auto",
    metadata: e.metadata ?? {},
    attempts: e.attempts,
  };
}

/** One event of the log as an SSE `data:` payload (its sequence is the SSE `id:`). */
export function executionEventJson(event: ExecutionEvent): ExecutionEventJson {
  return {
    sequence: Number(event.sequence),
    type: event.type,
    time: iso(event.time),
    ...(event.agentEvent ? { agent_event: agentEventJson(event.agentEvent) } : {}),
    ...(event.text ? { text: event.text } : {}),
    ...(event.execution ? { execution: executionJson(event.execution) } : {}),
  };
}
