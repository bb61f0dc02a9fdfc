import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  type ArtifactRefSchema,
  type ChatCompletion,
  type ChatCompletionChunk,
  ChatCompletionChunkSchema,
  ChatCompletionSchema,
  type ChatMessage,
  ChatMessageSchema,
  type ChunkChoiceSchema,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { FinishReason, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { BackendResult, BackendStreamPart, UsageCounts } from "../backends/backend.js";
import type { ChatPlan } from "./chat-plan.js";

function usageOf(usage: UsageCounts | undefined) {
  return usage ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
}

/** The `chat.completion` for a finished backend result. */
export function buildCompletion(plan: ChatPlan, result: BackendResult): ChatCompletion {
  const provenance = result.choices.find((c) => c.provenance)?.provenance;
  const choices = [...result.choices]
    .sort((a, b) => a.index - b.index)
    .map((choice) => {
      const message: { role: Role; content?: string; refusal?: string; toolCalls: typeof choice.toolCalls } =
        {
          role: Role.ASSISTANT,
          toolCalls: choice.toolCalls,
        };
      if (choice.content !== undefined) message.content = choice.content;
      if (choice.refusal !== undefined) message.refusal = choice.refusal;
      return {
        index: choice.index,
        message,
        finishReason: choice.finishReason,
        ...(choice.logprobs ? { logprobs: choice.logprobs } : {}),
      };
    });
  return create(ChatCompletionSchema, {
    id: plan.completionId,
    object: "chat.completion",
    created: plan.created,
    model: plan.modelName,
    choices,
    usage: usageOf(result.usage),
    sessionId: plan.sessionId,
    systemFingerprint: result.systemFingerprint ?? "",
    ...(provenance ? { provenance } : {}),
  });
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
  if (includeUsage || completion.artifacts.length > 0) {
    chunks.push(
      chunk({
        choices: [],
        ...(includeUsage ? { usage: completion.usage } : {}),
        artifacts: completion.artifacts,
      }),
    );
  }
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
  private readonly calls = new Map<number, Map<number, { id: string; name: string; arguments: string }>>();
  private readonly finishes = new Map<number, FinishReason>();

  constructor(private readonly plan: ChatPlan) {}

  private chunk(choices: MessageInitShape<typeof ChunkChoiceSchema>[]): ChatCompletionChunk {
    return create(ChatCompletionChunkSchema, {
      id: this.plan.completionId,
      object: "chat.completion.chunk",
      created: this.plan.created,
      model: this.plan.modelName,
      choices,
      sessionId: this.plan.sessionId,
      systemFingerprint: this.fingerprint,
    });
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
    const calls = [...(this.calls.get(choice) ?? new Map()).entries()].sort(([a], [b]) => a - b);
    return create(ChatMessageSchema, {
      role: Role.ASSISTANT,
      ...(text !== undefined ? { content: text } : {}),
      toolCalls: calls.map(([, c]) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: c.arguments },
      })),
    });
  }

  /** The whole `chat.completion` the stream amounted to (kept for idempotent retries). */
  completion(artifacts: MessageInitShape<typeof ArtifactRefSchema>[]): ChatCompletion {
    const indexes = [...new Set([...this.started, ...this.finishes.keys()])].sort((a, b) => a - b);
    return create(ChatCompletionSchema, {
      id: this.plan.completionId,
      object: "chat.completion",
      created: this.plan.created,
      model: this.plan.modelName,
      choices: indexes.map((index) => {
        const said = this.transcript(index);
        return {
          index,
          message: {
            role: Role.ASSISTANT,
            ...(said.content !== undefined ? { content: said.content } : {}),
            toolCalls: said.toolCalls,
          },
          finishReason: this.finishes.get(index) ?? FinishReason.STOP,
        };
      }),
      usage: usageOf(this.usage),
      sessionId: this.plan.sessionId,
      systemFingerprint: this.fingerprint,
      artifacts,
    });
  }

  fromPart(part: BackendStreamPart): ChatCompletionChunk | undefined {
    this.collect(part);
    switch (part.type) {
      case "text":
        return this.chunk([
          {
            index: part.choice,
            delta: { role: this.role(part.choice), content: part.text, toolCalls: [] },
            ...(part.logprobs ? { logprobs: part.logprobs } : {}),
          },
        ]);
      case "refusal":
        return this.chunk([
          { index: part.choice, delta: { role: this.role(part.choice), refusal: part.text, toolCalls: [] } },
        ]);
      case "tool-call": {
        const first = part.name !== undefined;
        return this.chunk([
          {
            index: part.choice,
            delta: {
              role: this.role(part.choice),
              toolCalls: [
                {
                  index: part.index,
                  id: part.id,
                  type: first ? "function" : "",
                  function: { name: part.name ?? "", arguments: part.argumentsDelta },
                },
              ],
            },
          },
        ]);
      }
      case "finish":
        return this.chunk([
          {
            index: part.choice,
            delta: { role: this.role(part.choice), toolCalls: [] },
            finishReason: part.reason,
          },
        ]);
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
   * every artifact the run produced; none when there is neither.
   */
  finalChunk(artifacts: MessageInitShape<typeof ArtifactRefSchema>[]): ChatCompletionChunk | undefined {
    if (!this.plan.includeUsage && artifacts.length === 0) return undefined;
    const chunk = this.chunk([]);
    const parts = create(ChatCompletionChunkSchema, {
      ...(this.plan.includeUsage ? { usage: usageOf(this.usage) } : {}),
      artifacts,
    });
    chunk.usage = parts.usage;
    chunk.artifacts = parts.artifacts;
    return chunk;
  }

  get reportedUsage(): UsageCounts | undefined {
    return this.usage;
  }
}
