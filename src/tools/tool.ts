import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { z } from "zod";
import type { Model, Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { ArtifactMeta } from "../artifacts/artifacts.js";
import { argumentProblems } from "./argument-problems.js";

/** What a running tool may use: cancellation, the caller's artifacts, progress reporting. */
export interface ToolContext {
  signal: AbortSignal;
  artifacts: {
    /** Whose files these are (owner and session): a tool worker opens the same scope in the store. */
    scope: string;
    put(data: Uint8Array, contentType: string, filename?: string): Promise<ArtifactMeta>;
    get(ref: string): Promise<{ meta: ArtifactMeta; data: Uint8Array } | undefined>;
    /** Counts an artifact a tool worker stored in this scope as made by this chat. */
    adopt(meta: ArtifactMeta): void;
  };
  progress(message: string): void;
}

export interface ToolResult {
  /** One line for the model and the event stream. */
  summary: string;
  /** Structured output the model reads (JSON). */
  data?: JsonValue;
  /** Artifacts the tool created. */
  artifacts: ArtifactMeta[];
}

/** How long one tool call may run unless the tool sets its own `timeoutMs`. */
export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;

/** What a tool works on: a kind of file in the request or the session, or nothing ("none"). */
export type Need = "image" | "video" | "document" | "audio" | "none";
export const NEEDS: readonly Need[] = ["image", "video", "document", "audio", "none"];

/** Arguments as checked: the typed value, or one readable line per problem. */
export type Checked<I> = { ok: true; input: I } | { ok: false; problems: string[] };

/** A server-side tool: arguments are checked (and typed) by its zod schema before `execute` runs. */
export interface Tool<I = unknown> {
  name: string;
  description: string;
  toolset: Toolset;
  /** It can run when any of these is at hand (a file of that kind, or "none": always). */
  needs: readonly Need[];
  /** JSON Schema of the arguments, as models are shown it: generated from the same zod schema. */
  parameters: JsonObject;
  /** Set on a tool provider's tools: offered when the request's `models` names the provider. */
  provider?: Model;
  /** Set on an outside MCP server's tools: offered when the request names "mcp:<server>". */
  mcpServer?: string;
  /** How long one call may run (default 60 s); long-running generation sets more. */
  timeoutMs?: number;
  /** CPU- or memory-heavy: runs on the tool-worker tier when ORION_TOOL_QUEUE=redis. */
  heavy?: boolean;
  check(args: unknown): Checked<I>;
  execute(input: I, ctx: ToolContext): Promise<ToolResult>;
}

/** A tool of any input, as registries and runners hold it. */
// biome-ignore lint/suspicious/noExplicitAny: a list of tools holds many input types; each checks its own.
export type AnyTool = Tool<any>;

type Shape = z.ZodRawShape;

export interface ToolDefinition<S extends Shape> {
  name: string;
  description: string;
  toolset: Toolset;
  needs: readonly Need[];
  provider?: Model;
  timeoutMs?: number;
  /** CPU- or memory-heavy (models, rendering, ffmpeg): sent to tool workers when a queue is set. */
  heavy?: boolean;
  /** The arguments: unknown properties are refused. */
  input: S;
  /** Groups of properties of which the arguments must name at least one, or exactly one. */
  anyOf?: readonly (keyof S & string)[];
  oneOf?: readonly (keyof S & string)[];
  /** Properties that may not be given together. */
  notBoth?: readonly [keyof S & string, keyof S & string];
  execute(input: z.output<z.ZodObject<S>>, ctx: ToolContext): Promise<ToolResult>;
}

const given = (args: Record<string, unknown>, keys: readonly string[]) =>
  keys.filter((k) => args[k] !== undefined);

/** The cross-property rules, read on the arguments as sent (before defaults fill them in). */
function ruleProblems(args: unknown, rules: Pick<ToolDefinition<Shape>, "anyOf" | "oneOf" | "notBoth">) {
  if (typeof args !== "object" || args === null) return [];
  const record = args as Record<string, unknown>;
  const problems: string[] = [];
  const { anyOf, oneOf, notBoth } = rules;
  if (anyOf && given(record, anyOf).length === 0)
    problems.push(`arguments need at least one of ${anyOf.join(", ")}`);
  if (oneOf && given(record, oneOf).length !== 1)
    problems.push(`arguments need exactly one of ${oneOf.join(", ")}`);
  if (notBoth && given(record, notBoth).length === 2)
    problems.push(`arguments may give ${notBoth[0]} or ${notBoth[1]}, not both`);
  return problems;
}

/**
 * A tool from a zod shape: the one schema types `execute`, checks arguments, and becomes the
 * JSON Schema models are shown (with the cross-property rules as anyOf / oneOf / not clauses).
 */
export function defineTool<S extends Shape>(definition: ToolDefinition<S>): Tool<z.output<z.ZodObject<S>>> {
  const { input, anyOf, oneOf, notBoth, execute, ...head } = definition;
  const schema = z.strictObject(input);
  const { $schema: _, ...parameters } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  if (anyOf) parameters.anyOf = anyOf.map((k) => ({ required: [k] }));
  if (oneOf) parameters.oneOf = oneOf.map((k) => ({ required: [k] }));
  if (notBoth) parameters.not = { required: [...notBoth] };
  return {
    ...head,
    parameters: parameters as JsonObject,
    check(args) {
      const parsed = schema.safeParse(args);
      const problems = [
        ...(parsed.success ? [] : argumentProblems(parsed.error)),
        ...ruleProblems(args, { anyOf, oneOf, notBoth }),
      ];
      return parsed.success && problems.length === 0
        ? { ok: true, input: parsed.data }
        : { ok: false, problems };
    },
    execute,
  };
}
