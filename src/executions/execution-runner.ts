import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { timestampNow, ValueSchema } from "@bufbuild/protobuf/wkt";
import { createContextValues, createHandlerContext } from "@connectrpc/connect";
import {
  type ArtifactRef,
  ChatCompletionRequestSchema,
  type Usage,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentEventKind } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { Execution } from "../../gen/vlmrun/agent/v1/executions_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import type { ExecutionConfig } from "../config.js";
import { kCaller } from "../identity/caller.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { streamChat } from "../service/agent-service.js";
import type { ChatDeps } from "../service/chat-run.js";
import { kLogFields, kPrepaid, kRequestId } from "../service/context.js";
import {
  type ExecutionRecord,
  type ExecutionStore,
  TERMINAL,
  type TerminalStatus,
} from "../store/execution-store.js";
import { wireNames } from "../wire/names.js";
import { eventText, executionOf, executionText, FINAL_TYPE, STATUS_OF } from "./execution-events.js";
import type { ExecutionSpec } from "./execution-spec.js";

/** Why a run's signal aborted: its execution ended elsewhere (cancelled), or this process is stopping. */
const ENDED = Symbol("ended");
const STOPPING = Symbol("stopping");

/** How often a run checks whether its execution was ended by another process (a cancel). */
const ENDED_CHECK_MS = 500;

export interface RunnerDeps {
  chat: ChatDeps;
  store: ExecutionStore;
  config: ExecutionConfig;
  metrics: Metrics;
  logger: Logger;
  /** Told once per execution that ends, with the execution as it ended. */
  onEnded(execution: Execution, spec: ExecutionSpec): void;
}

/**
 * Runs one execution in this process: the same streamed chat as StreamChatCompletion, whose tool
 * events and text deltas become the execution's event log, then the answer. A run is started again
 * from the beginning when the process running it died (its events continue after the earlier
 * ones); one that keeps dying ends failed. A process that is stopping leaves its runs unfinished,
 * for another process (or this one, restarted) to resume.
 */
export class ExecutionRunner {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly deps: RunnerDeps) {}

  get active(): number {
    return this.running.size;
  }

  /** Aborts the run of `id` if this process runs it (its execution was just ended). */
  abortLocal(id: string): void {
    this.running.get(id)?.abort(ENDED);
  }

  async run(id: string, stopping: AbortSignal): Promise<void> {
    const { store, config, metrics } = this.deps;
    const record = await store.start(id);
    if (!record) return; // ended, or gone
    const spec = JSON.parse(record.spec) as ExecutionSpec;
    const execution = executionOf(record);
    if (record.attempts > config.attempts) {
      await this.end(
        record.id,
        execution,
        spec,
        "failed",
        `the run was interrupted ${record.attempts - 1} times (the process running it stopped each time); giving up`,
      );
      return;
    }
    if (record.attempts > 1) metrics.executionRecoveries.inc();
    const resumed = record.lastSequence > 0;
    if (!resumed) metrics.executionQueueSeconds.observe((Date.now() - record.createdAt) / 1000);
    await store.append(
      id,
      eventText({ type: resumed ? "execution.resumed" : "execution.running", execution }),
    );

    const controller = new AbortController();
    this.running.set(id, controller);
    const stop = () => controller.abort(STOPPING);
    if (stopping.aborted) stop();
    stopping.addEventListener("abort", stop);
    const watch = setInterval(() => void this.abortIfEnded(id, controller), ENDED_CHECK_MS);
    const started = performance.now();
    try {
      const outcome = await this.chat(record, spec, controller.signal);
      execution.usage = {
        $typeName: "vlmrun.agent.v1.ExecutionUsage",
        steps: outcome.steps,
        durationSeconds: (performance.now() - started) / 1000,
        promptTokens: outcome.usage?.promptTokens ?? 0,
        completionTokens: outcome.usage?.completionTokens ?? 0,
        totalTokens: outcome.usage?.totalTokens ?? 0,
      };
      execution.artifacts = outcome.artifacts;
      execution.response = fromJson(ValueSchema, answerOf(spec, outcome.text, outcome.artifacts));
      await this.end(id, execution, spec, "completed");
    } catch (error) {
      const reason = controller.signal.reason;
      if (reason === STOPPING) {
        // Resumed by another process, or after the restart; a stop is not a failed attempt.
        await store.handBack(id).catch(() => {});
        return;
      }
      if (reason === ENDED) return; // whoever ended it wrote its final event
      const message = error instanceof Error ? error.message : String(error);
      await this.end(id, execution, spec, "failed", message);
    } finally {
      clearInterval(watch);
      stopping.removeEventListener("abort", stop);
      this.running.delete(id);
      metrics.executionRunSeconds.observe((performance.now() - started) / 1000);
    }
  }

  private async chat(record: ExecutionRecord, spec: ExecutionSpec, signal: AbortSignal) {
    const { store } = this.deps;
    const ctx = createHandlerContext({
      service: AgentService,
      method: AgentService.method.streamChatCompletion,
      protocolName: "execution",
      requestMethod: "POST",
      url: "/v1/agent/execute",
      requestSignal: signal,
      contextValues: createContextValues()
        .set(kCaller, spec.caller)
        .set(kRequestId, record.id)
        .set(kPrepaid, true)
        .set(kLogFields, {}),
    });
    const request = fromJson(ChatCompletionRequestSchema, spec.chat as JsonValue);
    let text = "";
    let steps = 0;
    let usage: Usage | undefined;
    let artifacts: ArtifactRef[] = [];
    for await (const chunk of streamChat(this.deps.chat, request, ctx)) {
      const event = chunk.agentEvent;
      if (event) {
        if (event.kind === AgentEventKind.TOOL_STARTED) steps++;
        const type = wireNames.agentEventKind.toWire(event.kind) ?? "tool.event";
        await store.append(record.id, eventText({ type, agentEvent: event }));
      }
      const delta = chunk.choices.find((c) => c.index === 0)?.delta?.content;
      if (delta) {
        text += delta;
        await store.append(record.id, eventText({ type: "text.delta", text: delta }));
      }
      if (chunk.usage) usage = chunk.usage;
      if (chunk.artifacts.length > 0) artifacts = chunk.artifacts;
    }
    return { text, steps, usage, artifacts };
  }

  private async abortIfEnded(id: string, controller: AbortController): Promise<void> {
    const record = await this.deps.store.get(id).catch(() => undefined);
    if (record && TERMINAL.has(record.status)) controller.abort(ENDED);
  }

  /** Ends an execution the queue gave up on (BullMQ failed its job), if it has not ended. */
  async failFromQueue(id: string, reason: string): Promise<void> {
    const record = await this.deps.store.get(id);
    if (!record || TERMINAL.has(record.status)) return;
    await this.end(id, executionOf(record), JSON.parse(record.spec) as ExecutionSpec, "failed", reason);
  }

  /** Ends the execution (once, whoever gets there first) and reports it. */
  async end(
    id: string,
    execution: Execution,
    spec: ExecutionSpec,
    status: TerminalStatus,
    error = "",
  ): Promise<boolean> {
    const ended = endedExecution(execution, status, error);
    const text = executionText(ended);
    const sequence = await this.deps.store.finish(
      id,
      status,
      text,
      eventText({ type: FINAL_TYPE[status], execution: ended }),
    );
    if (sequence === 0) return false;
    this.deps.metrics.executions.inc({ status });
    this.deps.onEnded(ended, spec);
    return true;
  }
}

/** The execution as it ends: status, time, and why when it did not complete. */
export function endedExecution(execution: Execution, status: TerminalStatus, error: string): Execution {
  return { ...execution, status: STATUS_OF[status], completedAt: timestampNow(), error };
}

/** An object matching json_schema when one was given (the chat checked it), else the text and files. */
function answerOf(spec: ExecutionSpec, text: string, artifacts: ArtifactRef[]): JsonValue {
  const chat = spec.chat as { responseFormat?: unknown };
  if (chat.responseFormat) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      return { text, artifacts: artifacts.map((a) => a.id) };
    }
  }
  return { text, artifacts: artifacts.map((a) => a.id) };
}
