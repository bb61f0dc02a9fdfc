import type { JsonObject } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import {
  type ChatCompletionChunk,
  type ChatMessage,
  ChatMessageSchema,
  type ResponseFormat,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { FinishReason, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import {
  addUsage,
  type Backend,
  type BackendRequest,
  type BackendResult,
  type CallOptions,
} from "../backends/backend.js";
import { Reason, reasonError, validationError } from "../errors.js";
import { schemaOf } from "../schema/schema-of.js";
import {
  CheckTooExpensive,
  type SchemaValidator,
  UnusableSchema,
  type Verdict,
} from "../schema/validator.js";

function unusable(message: string) {
  return validationError([{ field: "response_format", description: message, type: "value_error" }]);
}

/** Refuses, as a 422 on response_format, a schema that passes a cap or cannot be compiled. */
export async function prepareFormat(
  validator: SchemaValidator,
  format: ResponseFormat | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const schema = schemaOf(format);
  if (!schema) return;
  try {
    await validator.prepare(schema, signal);
  } catch (error) {
    if (error instanceof UnusableSchema || error instanceof CheckTooExpensive) throw unusable(error.message);
    throw error;
  }
}

/** Checks an answer against the schema; a check that runs out of time is the schema's fault (422). */
export async function checkAnswer(
  validator: SchemaValidator,
  schema: JsonObject,
  answer: string | undefined,
  signal?: AbortSignal,
): Promise<Verdict> {
  try {
    return await validator.check(schema, answer, signal);
  } catch (error) {
    if (error instanceof UnusableSchema) throw unusable(error.message);
    if (error instanceof CheckTooExpensive) {
      throw unusable(`${error.message}; simplify the schema (e.g. uniqueItems over long arrays)`);
    }
    throw error;
  }
}

export function formatUnmet(problems: string[], repaired: boolean) {
  return reasonError(
    Code.Unavailable,
    Reason.responseFormatUnmet,
    `the answer does not match response_format${repaired ? " after one repair round" : ""}: ${problems.join("; ")}`,
  );
}

/**
 * Holds finished answers to the schema. An invalid answer from a model gets one repair round (the
 * validator's complaints sent back); the local planner cannot repair, so it fails clearly.
 */
export async function enforceFormat(
  validator: SchemaValidator,
  schema: JsonObject,
  result: BackendResult,
  backend: Backend,
  request: BackendRequest,
  options: CallOptions,
): Promise<BackendResult> {
  const choices = [];
  for (const choice of result.choices) {
    if (choice.toolCalls.length > 0) {
      choices.push(choice); // hybrid mode: the answer comes after the client's tools
      continue;
    }
    const verdict = await checkAnswer(validator, schema, choice.content, options.signal);
    if (verdict.ok) {
      choices.push(choice);
      continue;
    }
    if (!backend.capabilities.followsInstructions) {
      throw reasonError(
        Code.FailedPrecondition,
        Reason.unsupported,
        `the local planner could not build an answer matching response_format from its tool results: ${verdict.problems.join("; ")}`,
      );
    }
    const repair = await backend.generate(
      {
        ...request,
        sampling: { ...request.sampling, n: 1 },
        messages: [
          ...request.messages,
          create(ChatMessageSchema, { role: Role.ASSISTANT, content: choice.content ?? "" }),
          create(ChatMessageSchema, {
            role: Role.USER,
            content: `Your answer does not match the required JSON Schema: ${verdict.problems.join("; ")}. Reply with only the corrected JSON.`,
          }),
        ],
      },
      options,
    );
    result.usage ??= { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    addUsage(result.usage, repair.usage);
    const repaired = repair.choices[0];
    const second = await checkAnswer(validator, schema, repaired?.content, options.signal);
    if (!second.ok || !repaired) throw formatUnmet(second.problems, true);
    choices.push({ ...repaired, index: choice.index });
  }
  return { ...result, choices };
}

/**
 * A stream held to a schema: each choice's finishing chunk waits until that choice's whole answer
 * is checked, so a mismatch is never preceded by finish_reason "stop". Answers that end in tool
 * calls are not held to the schema.
 */
export class StreamedFormatCheck {
  private readonly held: ChatCompletionChunk[] = [];

  constructor(
    private readonly validator: SchemaValidator,
    private readonly schema: JsonObject | undefined,
  ) {}

  /** True when `chunk` must wait for the check (it finishes a choice); it is kept until `release`. */
  holds(chunk: ChatCompletionChunk): boolean {
    if (!this.schema || chunk.choices.every((c) => c.finishReason === FinishReason.UNSPECIFIED)) return false;
    this.held.push(chunk);
    return true;
  }

  /** Checks every choice's whole answer; the held chunks when all match, else formatUnmet. */
  async release(answers: ChatMessage[], signal: AbortSignal): Promise<ChatCompletionChunk[]> {
    if (this.schema) {
      for (const answer of answers) {
        if (answer.toolCalls.length > 0) continue;
        const verdict = await checkAnswer(this.validator, this.schema, answer.content, signal);
        if (!verdict.ok) throw formatUnmet(verdict.problems, false);
      }
    }
    return this.held;
  }
}
