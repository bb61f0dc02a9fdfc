import { create } from "@bufbuild/protobuf";
import {
  type ChatMessage,
  ChatMessageSchema,
  type ToolCall,
  ToolCallSchema,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentEventKind, FinishReason, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import {
  addUsage,
  type Backend,
  type BackendChoice,
  type BackendRequest,
  type BackendResult,
  type BackendStreamPart,
  type CallOptions,
  type UsageCounts,
} from "../backends/backend.js";
import { toDataUrl } from "../media/data-url.js";
import type { ToolRegistry } from "../tools/registry.js";
import type { Tool, ToolContext } from "../tools/tool.js";
import { assistantTurn, chatMessage } from "../wire/codecs/message-literals.js";
import type { Caps } from "./caps.js";
import { drainWhile } from "./event-queue.js";
import { mergeStreams } from "./merge-streams.js";
import { runTool, type ToolObserver, type ToolOutcome } from "./tool-runner.js";
import { capMessage, decideTurn, splitCalls } from "./turn.js";

/** What happened to one server tool call, for the event stream. */
type ToolStep =
  | { kind: "started" }
  | { kind: "progress"; message: string }
  | { kind: "ended"; outcome: ToolOutcome };

export interface AgentSetup {
  registry: ToolRegistry;
  /** The server tools this request may use. */
  tools: Tool[];
  caps: Caps;
  /** Tool context without the signal and progress (both are per call). */
  toolContext: Omit<ToolContext, "signal" | "progress">;
  /** The files the model can name and what each tool is for, prepended as a system message. */
  systemNote?: string;
  /** The same files, typed, for a model that reads them by kind (the local planner). */
  files?: NonNullable<BackendRequest["attachments"]>;
  /** Told how every tool call ended (metrics, the chat's tool count). */
  observeTool?: ToolObserver;
}

/**
 * The agent loop as a Backend: it offers the selected server tools to the model beneath it, runs
 * the server tool calls the model makes, feeds results back, and repeats until an answer, a
 * client tool call (hybrid mode) or a cap. Server tool calls never reach the client; `n > 1`
 * runs independent trajectories.
 */
export class AgentBackend implements Backend {
  readonly kind = "agent";
  readonly description: string;
  readonly capabilities: Backend["capabilities"];
  private readonly serverNames: Set<string>;
  /** The server tools as the model is offered them, the same on every step. */
  private readonly serverTools: BackendRequest["tools"];

  constructor(
    private readonly inner: Backend,
    private readonly setup: AgentSetup,
  ) {
    this.description = inner.description;
    this.capabilities = inner.capabilities;
    this.serverNames = new Set(setup.tools.map((t) => t.name));
    this.serverTools = setup.tools.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.parameters },
    })) as BackendRequest["tools"];
  }

  /** The request one trajectory sends: n = 1, server tools offered beside the client's. */
  private trajectoryRequest(request: BackendRequest, messages: ChatMessage[]): BackendRequest {
    return {
      ...request,
      messages,
      ...(this.setup.files ? { attachments: this.setup.files } : {}),
      sampling: { ...request.sampling, n: 1 },
      tools: [
        ...this.serverTools,
        ...request.tools.filter((t) => !this.serverNames.has(t.function?.name ?? "")),
      ],
    };
  }

  /** The request's messages with the server's note after the caller's own leading instructions. */
  private initialMessages(request: BackendRequest): ChatMessage[] {
    const note = this.setup.systemNote;
    if (!note) return [...request.messages];
    const at = request.messages.findIndex((m) => m.role !== Role.SYSTEM && m.role !== Role.DEVELOPER);
    const split = at === -1 ? request.messages.length : at;
    const noteMessage = chatMessage(Role.SYSTEM);
    noteMessage.content = note;
    return [...request.messages.slice(0, split), noteMessage, ...request.messages.slice(split)];
  }

  /**
   * For a vision model: the images the tools just made, as a user message of image parts (tool
   * messages carry text only). Large images are left out rather than bloating the request.
   */
  private async imagesFor(artifactIds: string[]): Promise<ChatMessage[]> {
    if (!this.inner.capabilities.vision) return [];
    const parts = [];
    for (const id of artifactIds.filter((a) => a.startsWith("img_"))) {
      const found = await this.setup.toolContext.artifacts.get(id);
      if (!found || found.data.byteLength > 4 * 1024 * 1024) continue;
      const url = toDataUrl(found.meta.contentType, found.data);
      parts.push(
        { part: { case: "text" as const, value: `${id}:` } },
        { part: { case: "imageUrl" as const, value: { url } } },
      );
    }
    return parts.length > 0 ? [create(ChatMessageSchema, { role: Role.USER, parts })] : [];
  }

  private async runCalls(
    calls: ToolCall[],
    signal: AbortSignal,
    onEvent?: (step: ToolStep, call: ToolCall) => void,
  ) {
    const produced: string[] = [];
    const messages = await Promise.all(
      calls.map(async (call) => {
        onEvent?.({ kind: "started" }, call);
        const outcome = await runTool(
          this.setup.registry,
          call.function?.name ?? "",
          call.function?.arguments ?? "",
          {
            ...this.setup.toolContext,
            signal,
            progress: (message) => onEvent?.({ kind: "progress", message }, call),
          },
          this.setup.observeTool,
        );
        onEvent?.({ kind: "ended", outcome }, call);
        produced.push(...outcome.artifactIds);
        return create(ChatMessageSchema, { role: Role.TOOL, toolCallId: call.id, content: outcome.content });
      }),
    );
    return [...messages, ...(await this.imagesFor(produced))];
  }

  async generate(request: BackendRequest, options: CallOptions): Promise<BackendResult> {
    const usage: UsageCounts = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    const trajectories = Array.from({ length: request.sampling.n }, (_, index) =>
      this.trajectory(request, options, index, usage),
    );
    return { choices: await Promise.all(trajectories), usage };
  }

  private async trajectory(request: BackendRequest, options: CallOptions, index: number, usage: UsageCounts) {
    const { caps } = this.setup;
    const messages = this.initialMessages(request);
    let steps = 0;
    let calls = 0;
    for (;;) {
      const result = await this.inner.generate(this.trajectoryRequest(request, messages), options);
      steps++;
      addUsage(usage, result.usage);
      const choice: BackendChoice = { ...(result.choices[0] as BackendChoice), index };
      const turn = splitCalls(choice.toolCalls, this.serverNames);
      const decision = decideTurn(turn, { steps, calls }, caps);
      if (decision === "answer") return choice;
      if (decision === "cap") {
        const content = [choice.content, capMessage(caps, steps, calls)].filter(Boolean).join("\n\n");
        return { index, content, toolCalls: [], finishReason: FinishReason.LENGTH };
      }
      messages.push(assistantTurn(choice.content ?? "", choice.toolCalls));
      messages.push(...(await this.runCalls(turn.server, options.signal)));
      calls += turn.server.length;
      if (decision === "hybrid") {
        return {
          index,
          ...(choice.content ? { content: choice.content } : {}),
          toolCalls: turn.client,
          finishReason: FinishReason.TOOL_CALLS,
        };
      }
    }
  }

  stream(request: BackendRequest, options: CallOptions): AsyncIterable<BackendStreamPart> {
    const usage: UsageCounts = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    const streams = Array.from({ length: request.sampling.n }, (_, index) =>
      this.streamTrajectory(request, options, index, usage),
    );
    return (async function* () {
      yield* mergeStreams(streams);
      yield { type: "usage" as const, usage };
    })();
  }

  private async *streamTrajectory(
    request: BackendRequest,
    options: CallOptions,
    index: number,
    usage: UsageCounts,
  ): AsyncGenerator<BackendStreamPart> {
    const { caps } = this.setup;
    const messages = this.initialMessages(request);
    let steps = 0;
    let calls = 0;
    for (;;) {
      const server = new Map<number, ToolCall>();
      const client = new Map<number, ToolCall>();
      const clientIndex = new Map<number, number>();
      let text = "";
      let finish: FinishReason = FinishReason.STOP;
      for await (const part of this.inner.stream(this.trajectoryRequest(request, messages), options)) {
        switch (part.type) {
          case "text":
            text += part.text;
            yield { ...part, choice: index };
            break;
          case "tool-call": {
            const known = server.get(part.index) ?? client.get(part.index);
            const target =
              known ??
              create(ToolCallSchema, {
                id: part.id,
                type: "function",
                function: { name: part.name ?? "", arguments: "" },
              });
            if (!known) (this.serverNames.has(part.name ?? "") ? server : client).set(part.index, target);
            if (target.function) target.function.arguments += part.argumentsDelta;
            if (client.has(part.index)) {
              if (!clientIndex.has(part.index)) clientIndex.set(part.index, clientIndex.size);
              yield { ...part, choice: index, index: clientIndex.get(part.index) as number };
            }
            break;
          }
          case "finish":
            finish = part.reason;
            break;
          case "usage":
            addUsage(usage, part.usage);
            break;
          default:
            yield part;
        }
      }
      steps++;
      const made = [...new Map([...server, ...client]).entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
      const turn = splitCalls(made, this.serverNames);
      const decision = decideTurn(turn, { steps, calls }, caps);
      if (decision === "answer") {
        yield { type: "finish", choice: index, reason: finish };
        return;
      }
      if (decision === "cap") {
        yield { type: "text", choice: index, text: `${text ? "\n\n" : ""}${capMessage(caps, steps, calls)}` };
        yield { type: "finish", choice: index, reason: FinishReason.LENGTH };
        return;
      }
      const serverCalls = turn.server;
      messages.push(assistantTurn(text, made));
      // Events go out as they happen (a started tool shows while it runs), not after all finish.
      const events: BackendStreamPart[] = [];
      const wake = { notify: () => {} };
      const running = this.runCalls(serverCalls, options.signal, (step, call) => {
        const outcome = step.kind === "ended" ? step.outcome : undefined;
        events.push({
          type: "event",
          event: {
            kind:
              step.kind === "started"
                ? AgentEventKind.TOOL_STARTED
                : step.kind === "progress"
                  ? AgentEventKind.TOOL_PROGRESS
                  : outcome?.ok
                    ? AgentEventKind.TOOL_FINISHED
                    : AgentEventKind.TOOL_FAILED,
            choice: index,
            toolName: call.function?.name ?? "",
            callId: call.id,
            message: step.kind === "progress" ? step.message : (outcome?.summary ?? ""),
            artifactIds: outcome?.artifactIds ?? [],
          },
        });
        wake.notify();
      });
      yield* drainWhile(running, events, wake);
      const results = await running;
      messages.push(...results);
      calls += serverCalls.length;
      if (decision === "hybrid") {
        yield { type: "finish", choice: index, reason: FinishReason.TOOL_CALLS };
        return;
      }
    }
  }
}
