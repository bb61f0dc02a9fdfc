import type { JsonObject } from "@bufbuild/protobuf";
import type {
  ChatMessage,
  ChoiceLogprobs,
  ResponseFormat,
  ToolCall,
  ToolChoice,
  ToolDefinition,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import type { AgentEventKind, FinishReason } from "../../gen/vlmrun/agent/v1/enums_pb.js";

/**
 * The narrow seam between the agent and whatever writes its answers: an upstream model
 * (OpenAI-compatible HTTP) or the built-in local planner. The service never knows
 * which one it drives.
 */
export interface Backend {
  /** For logs and metrics, e.g. "openai-compatible". */
  readonly kind: string;
  /** For ListModels, e.g. "openai-compatible:qwen3-vl-8b". */
  readonly description: string;
  readonly capabilities: BackendCapabilities;
  generate(request: BackendRequest, options: CallOptions): Promise<BackendResult>;
  stream(request: BackendRequest, options: CallOptions): AsyncIterable<BackendStreamPart>;
}

export interface BackendCapabilities {
  logprobs: boolean;
  /** Whether it can act on an instruction such as "fix your JSON" (a model can; the planner cannot). */
  followsInstructions: boolean;
  /** Whether it reads image parts (tool-made images are then shown to it). */
  vision: boolean;
  /** Whether it takes `tools` and answers with tool calls (ORION_LLM_TOOLS). */
  tools: boolean;
  /** The setting that turns `tools` off, named in errors (e.g. ORION_LLM_TOOLS_PRO). */
  toolsSetting?: string;
}

export interface SamplingOptions {
  /** Only what the client set explicitly is forwarded; the rest is left to the backend's defaults. */
  maxTokens?: number;
  n: number;
  temperature: number;
  topP?: number;
  topK?: number;
  /** When set, log probabilities with this many top alternatives. */
  logprobs?: number;
  stop: string[];
  seed?: bigint;
  presencePenalty?: number;
  frequencyPenalty?: number;
  user?: string;
}

export interface BackendRequest {
  messages: ChatMessage[];
  sampling: SamplingOptions;
  responseFormat?: ResponseFormat;
  tools: ToolDefinition[];
  /**
   * The files at hand (attached now or earlier in the session), for a backend that reads them by
   * kind rather than from the prose of the system note (the local planner).
   */
  attachments?: { id: string; kind: "image" | "video" | "audio" | "document" }[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  /** The request's metadata (e.g. `provenance: "true"` asks the local planner where values came from). */
  metadata?: Record<string, string>;
}

export interface CallOptions {
  signal: AbortSignal;
  /** Propagated upstream as X-Request-Id. */
  requestId: string;
}

export interface UsageCounts {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** Adds `more` into `total` (a backend may not report usage). */
export function addUsage(total: UsageCounts, more: UsageCounts | undefined): void {
  if (!more) return;
  total.promptTokens += more.promptTokens;
  total.completionTokens += more.completionTokens;
  total.totalTokens += more.totalTokens;
}

export interface BackendChoice {
  index: number;
  content?: string;
  refusal?: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  logprobs?: ChoiceLogprobs;
  /** Where each extracted value was read (page, box, line), when the request asked for it. */
  provenance?: JsonObject;
}

export interface BackendResult {
  choices: BackendChoice[];
  usage: UsageCounts | undefined;
  systemFingerprint?: string;
}

/** One increment of a streamed answer. Tool-call parts always carry their index and id. */
export type BackendStreamPart =
  | { type: "text"; choice: number; text: string; logprobs?: ChoiceLogprobs }
  | { type: "refusal"; choice: number; text: string }
  | {
      type: "tool-call";
      choice: number;
      index: number;
      id: string;
      /** Set on the first part of a call. */
      name?: string;
      argumentsDelta: string;
    }
  | { type: "finish"; choice: number; reason: FinishReason }
  | { type: "usage"; usage: UsageCounts }
  | { type: "fingerprint"; value: string }
  /** Agent progress (server tool started / finished / failed); never a model token. */
  | { type: "event"; event: AgentEventPart };

export interface AgentEventPart {
  kind: AgentEventKind;
  choice: number;
  toolName: string;
  callId: string;
  message: string;
  artifactIds: string[];
}
