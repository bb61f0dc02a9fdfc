import type { JsonObject } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { Ajv, type ValidateFunction } from "ajv";
import { ChatMessageSchema, type ResponseFormat } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { ResponseFormatType, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import {
  addUsage,
  type Backend,
  type BackendRequest,
  type BackendResult,
  type CallOptions,
} from "../backends/backend.js";
import { Reason, reasonError, validationError } from "../service/errors.js";

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new Map<string, ValidateFunction>();

/** The JSON Schema a response_format asks for (both spellings), `{type: object}` for json_object. */
export function schemaOf(format: ResponseFormat | undefined): JsonObject | undefined {
  if (!format) return undefined;
  if (format.type === ResponseFormatType.JSON_OBJECT) return { type: "object" };
  if (format.type === ResponseFormatType.JSON_SCHEMA)
    return format.jsonSchema?.schema ?? format.schema ?? { type: "object" };
  return undefined;
}

export interface Verdict {
  ok: boolean;
  /** Readable problems, one per line, when not ok. */
  problems: string[];
}

/** The compiled validator of a schema; a schema that is not JSON Schema is a 422 on response_format. */
export function compileSchema(schema: JsonObject): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (error) {
      throw validationError([
        {
          field: "response_format",
          description: `not a valid JSON Schema: ${(error as Error).message}`,
          type: "value_error",
        },
      ]);
    }
    if (compiled.size > 500) compiled.clear();
    compiled.set(key, validate);
  }
  return validate;
}

/** Checks an answer against the schema: it must be JSON and validate. */
export function checkAnswer(schema: JsonObject, answer: string | undefined): Verdict {
  const validate = compileSchema(schema);
  let value: unknown;
  try {
    value = JSON.parse(answer ?? "");
  } catch {
    return { ok: false, problems: ["the answer is not JSON"] };
  }
  if (validate(value)) return { ok: true, problems: [] };
  return {
    ok: false,
    problems: (validate.errors ?? []).map(
      (e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`,
    ),
  };
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
    const verdict = checkAnswer(schema, choice.content);
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
    const second = checkAnswer(schema, repaired?.content);
    if (!second.ok || !repaired) throw formatUnmet(second.problems, true);
    choices.push({ ...repaired, index: choice.index });
  }
  return { ...result, choices };
}
