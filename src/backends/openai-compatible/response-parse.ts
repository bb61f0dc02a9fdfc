import { create } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import {
  type ChoiceLogprobs,
  ChoiceLogprobsSchema,
  type ToolCall,
  ToolCallSchema,
} from "../../../gen/vlmrun/agent/v1/chat_pb.js";
import { FinishReason } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { Reason, reasonError, upstreamCause } from "../../errors.js";
import { wireNames } from "../../wire/names.js";
import type { BackendChoice, BackendResult, BackendStreamPart, UsageCounts } from "../backend.js";
import { newToolCallId } from "../tool-call-id.js";

// Upstream JSON is untrusted: every read below is defensive.
type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Loose) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

export function finishReasonOf(raw: unknown): FinishReason {
  if (raw === "function_call") return FinishReason.TOOL_CALLS;
  const spelled = str(raw);
  return (spelled && wireNames.finishReason.fromWire(spelled)) || FinishReason.STOP;
}

export function usageOf(raw: unknown): UsageCounts | undefined {
  const u = obj(raw);
  const prompt = num(u.prompt_tokens);
  const completion = num(u.completion_tokens);
  if (prompt === undefined && completion === undefined) return undefined;
  const p = prompt ?? 0;
  const c = completion ?? 0;
  return { promptTokens: p, completionTokens: c, totalTokens: num(u.total_tokens) ?? p + c };
}

function bytesOf(raw: unknown): number[] {
  return arr(raw).filter((b): b is number => typeof b === "number");
}

export function logprobsOf(raw: unknown): ChoiceLogprobs | undefined {
  if (raw === null || raw === undefined) return undefined;
  return create(ChoiceLogprobsSchema, {
    content: arr(obj(raw).content).map((t) => {
      const token = obj(t);
      return {
        token: str(token.token) ?? "",
        logprob: num(token.logprob) ?? 0,
        bytes: bytesOf(token.bytes),
        topLogprobs: arr(token.top_logprobs).map((a) => {
          const alt = obj(a);
          return { token: str(alt.token) ?? "", logprob: num(alt.logprob) ?? 0, bytes: bytesOf(alt.bytes) };
        }),
      };
    }),
  });
}

function toolCallsOf(raw: unknown): ToolCall[] {
  return arr(raw).map((c) => {
    const call = obj(c);
    const fn = obj(call.function);
    return create(ToolCallSchema, {
      id: str(call.id) || newToolCallId(),
      type: "function",
      function: { name: str(fn.name) ?? "", arguments: str(fn.arguments) ?? "" },
    });
  });
}

/** A non-streamed `chat.completion` from upstream. */
export function completionOf(json: unknown): BackendResult {
  const root = obj(json);
  const choices: BackendChoice[] = arr(root.choices).map((c, position) => {
    const choice = obj(c);
    const message = obj(choice.message);
    const toolCalls = toolCallsOf(message.tool_calls);
    const out: BackendChoice = {
      index: num(choice.index) ?? position,
      toolCalls,
      finishReason: finishReasonOf(choice.finish_reason),
    };
    const content = str(message.content);
    if (content !== undefined) out.content = content;
    const refusal = str(message.refusal);
    if (refusal !== undefined) out.refusal = refusal;
    const logprobs = logprobsOf(choice.logprobs);
    if (logprobs) out.logprobs = logprobs;
    return out;
  });
  if (choices.length === 0) {
    throw reasonError(Code.Unavailable, Reason.upstreamError, "upstream model returned no choices");
  }
  const result: BackendResult = { choices, usage: usageOf(root.usage) };
  const fingerprint = str(root.system_fingerprint);
  if (fingerprint) result.systemFingerprint = fingerprint;
  return result;
}

/**
 * Turns upstream `chat.completion.chunk`s into stream parts. Repairs what some servers get wrong:
 * tool-call deltas without `index` (Ollama) or without `id` get both assigned here.
 */
export class ChunkAssembler {
  // Made on the first tool call: most streams have none, and a stream holds its assembler open.
  /** Per choice: tool-call index → id. */
  private calls: Map<number, Map<number, string>> | undefined;
  private lastCall: Map<number, number> | undefined;

  parts(json: unknown): BackendStreamPart[] {
    const root = obj(json);
    if (root.error !== undefined) {
      const error = obj(root.error);
      throw reasonError(
        Code.Unavailable,
        Reason.upstreamError,
        `upstream model failed mid-stream: ${str(error.message) ?? JSON.stringify(root.error)}`,
      );
    }
    const out: BackendStreamPart[] = [];
    const fingerprint = str(root.system_fingerprint);
    if (fingerprint) out.push({ type: "fingerprint", value: fingerprint });
    for (const c of arr(root.choices)) {
      const choice = obj(c);
      const index = num(choice.index) ?? 0;
      const delta = obj(choice.delta);
      const text = str(delta.content);
      if (text) {
        const part: BackendStreamPart = { type: "text", choice: index, text };
        const logprobs = logprobsOf(choice.logprobs);
        if (logprobs) part.logprobs = logprobs;
        out.push(part);
      }
      const refusal = str(delta.refusal);
      if (refusal) out.push({ type: "refusal", choice: index, text: refusal });
      for (const d of arr(delta.tool_calls)) out.push(this.toolCallPart(index, obj(d)));
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
        out.push({ type: "finish", choice: index, reason: finishReasonOf(choice.finish_reason) });
      }
    }
    const usage = usageOf(root.usage);
    if (usage) out.push({ type: "usage", usage });
    return out;
  }

  private toolCallPart(choice: number, delta: Loose): BackendStreamPart {
    this.calls ??= new Map();
    this.lastCall ??= new Map();
    let ids = this.calls.get(choice);
    if (!ids) {
      ids = new Map();
      this.calls.set(choice, ids);
    }
    const givenId = str(delta.id);
    let index = num(delta.index);
    if (index === undefined) {
      const known = givenId ? [...ids].find(([, id]) => id === givenId)?.[0] : undefined;
      index = known ?? (givenId ? ids.size : (this.lastCall.get(choice) ?? 0));
    }
    this.lastCall.set(choice, index);
    let id = ids.get(index);
    const first = id === undefined;
    if (id === undefined) {
      id = givenId || newToolCallId();
      ids.set(index, id);
    }
    const fn = obj(delta.function);
    const part: BackendStreamPart = {
      type: "tool-call",
      choice,
      index,
      id,
      argumentsDelta: str(fn.arguments) ?? "",
    };
    const name = str(fn.name);
    if (name || first) part.name = name ?? "";
    return part;
  }
}

function upstreamMessage(bodyText: string): string {
  try {
    const root = obj(JSON.parse(bodyText));
    const error = root.error;
    if (typeof error === "string") return error;
    const message = str(obj(error).message) ?? str(root.message);
    if (message) return message;
    const detail = root.detail;
    if (typeof detail === "string") return detail;
    if (detail !== undefined) return JSON.stringify(detail);
  } catch {
    // not JSON: fall through to the raw text
  }
  return bodyText.slice(0, 500).trim() || "(empty body)";
}

/** Explains an upstream HTTP error status as the error our caller should see. */
/** Whether an upstream's 400/422 says it does not take tools (vLLM without --enable-auto-tool-choice…). */
export function refusesTools(status: number, bodyText: string): boolean {
  return (
    (status === 400 || status === 422) &&
    /tool/i.test(bodyText) &&
    /not supported|unsupported|does not support|not enabled|enable-auto-tool-choice|no tools/i.test(bodyText)
  );
}

/** The upstream's refusal of a request that needed server tools, saying so and naming the setting. */
export function toolsRefusedError(status: number, bodyText: string, setting: string): ConnectError {
  return reasonError(
    Code.InvalidArgument,
    Reason.upstreamRejected,
    `upstream model rejected the request (${status}) because it does not accept tools, which this request needs: ${upstreamMessage(bodyText)} (if the model cannot call tools, set ${setting}=off so such requests are refused up front)`,
    { metadata: { upstream_status: String(status) } },
  );
}

export function upstreamStatusError(
  status: number,
  retryAfterHeader: string | undefined,
  bodyText: string,
  origin: string,
): ConnectError {
  const detail = upstreamMessage(bodyText);
  const metadata = { upstream_status: String(status) };
  if (status === 401 || status === 403) {
    return reasonError(
      Code.Internal,
      Reason.upstreamAuth,
      `the model backend refused our credentials (${status}; check ORION_LLM_API_KEY): ${detail}`,
      { metadata, cause: upstreamCause(origin) },
    );
  }
  if (status === 429) {
    const retry = Number(retryAfterHeader);
    return reasonError(
      Code.ResourceExhausted,
      Reason.upstreamRateLimited,
      `upstream model is rate limited: ${detail}`,
      {
        metadata,
        retryAfterSeconds: Number.isFinite(retry) && retry >= 0 ? retry : 1,
      },
    );
  }
  if (status === 408 || status === 504) {
    return reasonError(
      Code.DeadlineExceeded,
      Reason.upstreamTimeout,
      `upstream model timed out (${status}): ${detail}`,
      {
        metadata,
      },
    );
  }
  if (status === 404) {
    return reasonError(
      Code.Internal,
      Reason.upstreamError,
      `the model backend answered 404 (check ORION_LLM_BASE_URL and ORION_LLM_MODEL): ${detail}`,
      { metadata, cause: upstreamCause(origin) },
    );
  }
  if (status >= 400 && status < 500) {
    return reasonError(
      Code.InvalidArgument,
      Reason.upstreamRejected,
      `upstream model rejected the request (${status}): ${detail}`,
      { metadata },
    );
  }
  return reasonError(Code.Unavailable, Reason.upstreamError, `upstream model failed (${status}): ${detail}`, {
    metadata,
  });
}
