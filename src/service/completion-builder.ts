import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  type ArtifactRef,
  type AssistantMessage,
  type ChatCompletion,
  type ChatCompletionChunk,
  ChatCompletionChunkSchema,
  type ChatMessage,
  type Choice,
  type ChoiceDelta,
  type ChoiceLogprobs,
  type ChunkChoice,
  type ToolCall,
  type Usage,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { FinishReason, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { BackendResult, BackendStreamPart, UsageCounts } from "../backends/backend.js";
import { assistantTurn, toolCall } from "../wire/codecs/message-literals.js";
import type { ChatPlan } from "./chat-plan.js";

function usageOf(usage: UsageCounts | undefined): Usage {
  return {
    $typeName: "vlmrun.agent.v1.Usage",
    promptTokens: usage?.promptTokens ?? 0,
    completionTokens: usage?.completionTokens ?? 0,
    totalTokens: usage?.totalTokens ?? 0,
  };
}

/** A choice's answer in a completion: its text (if any) and its tool calls. */
function assistantMessage(content: string | undefined, toolCalls: ToolCall[]): AssistantMessage {
  const message: AssistantMessage = {
    $typeName: "vlmrun.agent.v1.AssistantMessage",
    role: Role.ASSISTANT,
    toolCalls,
  };
  if (content !== undefined) message.content = content;
  return message;
}

/**
 * The `chat.completion` for a finished backend result. Built as typed literals (every chat makes
 * one; `create()` would walk the schema by reflection): proto3 messages are these plain objects.
 */
export function buildCompletion(plan: ChatPlan, result: BackendResult): ChatCompletion {
  const provenance = result.choices.find((c) => c.provenance)?.provenance;
  const choices = [...result.choices]
    .sort((a, b) => a.index - b.index)
    .map((backendChoice): Choice => {
      const message = assistantMessage(backendChoice.content, backendChoice.toolCalls);
      if (backendChoice.refusal !== undefined) message.refusal = backendChoice.refusal;
      const choice: Choice = {
        $typeName: "vlmrun.agent.v1.Choice",
        index: backendChoice.index,
        message,
        finishReason: backendChoice.finishReason,
      };
      if (backendChoice.logprobs) choice.logprobs = backendChoice.logprobs;
      return choice;
    });
  const completion: ChatCompletion = {
    $typeName: "vlmrun.agent.v1.ChatCompletion",
    id: plan.completionId,
    object: "chat.completion",
    created: plan.created,
    model: plan.modelName,
    choices,
    usage: usageOf(result.usage),
    sessionId: plan.sessionId,
    systemFingerprint: result.systemFingerprint ?? "",
    previews: [],
    artifacts: [],
  };
  if (provenance) completion.provenance = provenance;
  return completion;
}

type ChatCompletionChunkInit = Exclude<
  MessageInitShape<typeof ChatCompletionChunkSchema>,
  ChatCompletionChunk
>;

/**
 * A stored completion as the stream that would have carried it (an idempotent retry of a streamed
 * request): per choice its message in one delta, then its finish; then the final chunk.
 */
export function replayChunks(completion: ChatCompletion, includeUsage: boolean): ChatCompletionChunk[] {
  const chunk = (init: Pick<ChatCompletionChunkInit, "choices" | "usage" | "artifacts">) =>
    create(ChatCompletionChunkSchema, {
      id: completion.id,
      object: "chat.completion.chunk",
      created: completion.created,
      model: completion.model,
      sessionId: completion.sessionId,
      systemFingerprint: completion.systemFingerprint,
      ...init,
    });
  const chunks = completion.choices.flatMap((choice) => [
    chunk({
      choices: [
        {
          index: choice.index,
          delta: {
            role: Role.ASSISTANT,
            ...(choice.message?.content !== undefined ? { content: choice.message.content } : {}),
            ...(choice.message?.refusal !== undefined ? { refusal: choice.message.refusal } : {}),
            toolCalls: (choice.message?.toolCalls ?? []).map((call, index) => ({
              index,
              id: call.id,
              type: call.type || "function",
              function: { name: call.function?.name ?? "", arguments: call.function?.arguments ?? "" },
            })),
          },
        },
      ],
    }),
    chunk({
      choices: [{ index: choice.index, delta: { toolCalls: [] }, finishReason: choice.finishReason }],
    }),
  ]);
  chunks.push(
    chunk({
      choices: [],
      ...(includeUsage ? { usage: completion.usage } : {}),
      artifacts: completion.artifacts,
    }),
  );
  return chunks;
}

/** Turns backend stream parts into `chat.completion.chunk`s, one per part, as they arrive. */
export class ChunkBuilder {
  private readonly started = new Set<number>();
  private usage: UsageCounts | undefined;
  private fingerprint = "";
  private sequence = 0;
  /** Per choice: the text and tool calls streamed so far, for the session history. */
  private readonly texts = new Map<number, string>();
  /** Made on the first tool call: most streams have none. */
  private calls: Map<number, Map<number, { id: string; name: string; arguments: string }>> | undefined;
  private readonly finishes = new Map<number, FinishReason>();

  constructor(private readonly plan: ChatPlan) {}

  // Chunks are built as typed literals, not with `create()`: a stream makes one per delta, and
  // `create` walks each message's schema by reflection. proto3 messages are these same plain
  // objects, and the generated types make every field explicit (completion-builder.test.ts checks
  // them against `create`).
  private chunk(choices: ChunkChoice[]): ChatCompletionChunk {
    return {
      $typeName: "vlmrun.agent.v1.ChatCompletionChunk",
      id: this.plan.completionId,
      object: "chat.completion.chunk",
      created: this.plan.created,
      model: this.plan.modelName,
      choices,
      sessionId: this.plan.sessionId,
      systemFingerprint: this.fingerprint,
      previews: [],
      artifacts: [],
    };
  }

  /** One choice's delta, with the role on the choice's first. */
  private choice(
    index: number,
    fields: Partial<Pick<ChoiceDelta, "content" | "refusal" | "toolCalls">>,
    finishReason = FinishReason.UNSPECIFIED,
    logprobs?: ChoiceLogprobs,
  ): ChunkChoice {
    const delta: ChoiceDelta = {
      $typeName: "vlmrun.agent.v1.ChoiceDelta",
      role: this.role(index),
      toolCalls: fields.toolCalls ?? [],
    };
    if (fields.content !== undefined) delta.content = fields.content;
    if (fields.refusal !== undefined) delta.refusal = fields.refusal;
    const choice: ChunkChoice = { $typeName: "vlmrun.agent.v1.ChunkChoice", index, delta, finishReason };
    if (logprobs) choice.logprobs = logprobs;
    return choice;
  }

  /** The role is announced on the first delta of each choice. */
  private role(choice: number): Role {
    if (this.started.has(choice)) return Role.UNSPECIFIED;
    this.started.add(choice);
    return Role.ASSISTANT;
  }

  private collect(part: BackendStreamPart): void {
    if (part.type === "text") this.texts.set(part.choice, (this.texts.get(part.choice) ?? "") + part.text);
    if (part.type === "finish") this.finishes.set(part.choice, part.reason);
    if (part.type === "tool-call") {
      this.calls ??= new Map();
      let calls = this.calls.get(part.choice);
      if (!calls) {
        calls = new Map();
        this.calls.set(part.choice, calls);
      }
      const call = calls.get(part.index) ?? { id: part.id, name: "", arguments: "" };
      if (part.name) call.name = part.name;
      call.arguments += part.argumentsDelta;
      calls.set(part.index, call);
    }
  }

  /** The assistant message a choice streamed, as the session keeps it. */
  transcript(choice: number): ChatMessage {
    const text = this.texts.get(choice);
    const calls = [...(this.calls?.get(choice) ?? new Map()).entries()].sort(([a], [b]) => a - b);
    return assistantTurn(
      text,
      calls.map(([, c]) => toolCall(c.id, "function", c)),
    );
  }

  /** The whole `chat.completion` the stream amounted to (kept for idempotent retries). */
  completion(artifacts: ArtifactRef[]): ChatCompletion {
    const indexes = [...new Set([...this.started, ...this.finishes.keys()])].sort((a, b) => a - b);
    return {
      $typeName: "vlmrun.agent.v1.ChatCompletion",
      id: this.plan.completionId,
      object: "chat.completion",
      created: this.plan.created,
      model: this.plan.modelName,
      choices: indexes.map((index): Choice => {
        const said = this.transcript(index);
        return {
          $typeName: "vlmrun.agent.v1.Choice",
          index,
          message: assistantMessage(said.content, said.toolCalls),
          finishReason: this.finishes.get(index) ?? FinishReason.STOP,
        };
      }),
      usage: usageOf(this.usage),
      sessionId: this.plan.sessionId,
      systemFingerprint: this.fingerprint,
      previews: [],
      artifacts,
    };
  }

  fromPart(part: BackendStreamPart): ChatCompletionChunk | undefined {
    this.collect(part);
    switch (part.type) {
      case "text":
        return this.chunk([this.choice(part.choice, { content: part.text }, undefined, part.logprobs)]);
      case "refusal":
        return this.chunk([this.choice(part.choice, { refusal: part.text })]);
      case "tool-call": {
        const first = part.name !== undefined;
        return this.chunk([
          this.choice(part.choice, {
            toolCalls: [
              {
                $typeName: "vlmrun.agent.v1.ToolCallDelta",
                index: part.index,
                id: part.id,
                type: first ? "function" : "",
                function: {
                  $typeName: "vlmrun.agent.v1.FunctionCallDelta",
                  name: part.name ?? "",
                  arguments: part.argumentsDelta,
                },
              },
            ],
          }),
        ]);
      }
      case "finish":
        return this.chunk([this.choice(part.choice, {}, part.reason)]);
      case "usage":
        this.usage = part.usage;
        return undefined;
      case "fingerprint":
        this.fingerprint = part.value;
        return undefined;
      case "event": {
        const chunk = this.chunk([]);
        chunk.agentEvent = create(ChatCompletionChunkSchema, {
          agentEvent: {
            sequence: BigInt(++this.sequence),
            kind: part.event.kind,
            toolName: part.event.toolName,
            callId: part.event.callId,
            message: part.event.message,
            artifactIds: part.event.artifactIds,
            choiceIndex: part.event.choice,
          },
        }).agentEvent;
        return chunk;
      }
    }
  }

  /** A chunk (empty `choices`) carrying previews of what the run produced. */
  previewChunk(previews: { objectId: string; contentType: string; dataUrl: string }[]): ChatCompletionChunk {
    const chunk = this.chunk([]);
    chunk.previews = create(ChatCompletionChunkSchema, { previews }).previews;
    return chunk;
  }

  /**
   * The last chunk (empty `choices`): the usage, when the request asked for it, and the list of
   * every artifact the run produced, empty when it made none (as a whole completion's is).
   */
  finalChunk(artifacts: ArtifactRef[]): ChatCompletionChunk {
    const chunk = this.chunk([]);
    if (this.plan.includeUsage) chunk.usage = usageOf(this.usage);
    chunk.artifacts = artifacts;
    return chunk;
  }

  get reportedUsage(): UsageCounts | undefined {
    return this.usage;
  }
}
