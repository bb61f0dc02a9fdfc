import type { JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ToolError } from "../errors.js";
import type { ToolOutcomeKind } from "../observability/metrics.js";
import { abortable } from "../runtime/abortable.js";
import type { ToolRegistry } from "../tools/registry.js";
import { type AnyTool, DEFAULT_TOOL_TIMEOUT_MS, type ToolContext } from "../tools/tool.js";

export interface ToolOutcome {
  ok: boolean;
  /** What the model reads back as the tool message. */
  content: string;
  summary: string;
  artifactIds: string[];
}

/**
 * Runs one server tool call: arguments parsed and checked against the tool's schema first; bad
 * arguments, tool errors and timeouts come back as an error result for the model, never a crash.
 */
/** Told how each call ended and how long it ran (metrics). */
export type ToolObserver = (
  tool: AnyTool | undefined,
  name: string,
  outcome: ToolOutcomeKind,
  seconds: number,
) => void;

export async function runTool(
  registry: ToolRegistry,
  name: string,
  rawArguments: string,
  ctx: ToolContext,
  observe?: ToolObserver,
): Promise<ToolOutcome> {
  const started = performance.now();
  const tool = registry.get(name);
  const end = (outcome: ToolOutcomeKind) =>
    observe?.(tool, name, outcome, (performance.now() - started) / 1000);
  try {
    const result = await runChecked(tool, name, rawArguments, ctx);
    end(result.ok ? "ok" : result.timedOut ? "timeout" : "error");
    return result;
  } catch (error) {
    end(ctx.signal.aborted ? "cancelled" : "error");
    throw error;
  }
}

async function runChecked(
  tool: AnyTool | undefined,
  name: string,
  rawArguments: string,
  ctx: ToolContext,
): Promise<ToolOutcome & { timedOut?: boolean }> {
  const fail = (message: string): ToolOutcome => ({
    ok: false,
    content: JSON.stringify({ error: message }),
    summary: message,
    artifactIds: [],
  });
  if (!tool) return fail(`there is no tool named ${name}`);
  let args: unknown;
  try {
    args = rawArguments.trim() === "" ? {} : JSON.parse(rawArguments);
  } catch {
    return fail(`the arguments are not valid JSON: ${rawArguments.slice(0, 200)}`);
  }
  const checked = tool.check(args);
  if (!checked.ok) return fail(`invalid arguments for ${name}: ${checked.problems.join("; ")}`);
  const limitMs = tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(limitMs);
  const signal = AbortSignal.any([ctx.signal, timeout]);
  try {
    const result = await abortable(tool.execute(checked.input, { ...ctx, signal }), signal);
    const artifactIds = result.artifacts.map((a) => a.id);
    const body: Record<string, JsonValue> = { summary: result.summary };
    if (result.data !== undefined) body.result = result.data;
    if (artifactIds.length > 0) body.artifacts = artifactIds;
    return { ok: true, content: JSON.stringify(body), summary: result.summary, artifactIds };
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    // The infrastructure failed (store, tool workers), not the tool: the chat gets the 503.
    if (error instanceof ConnectError && error.code === Code.Unavailable) throw error;
    if (timeout.aborted)
      return { ...fail(`${name} did not finish within ${limitMs / 1000} s`), timedOut: true };
    if (error instanceof ToolError) return fail(error.message);
    return fail(`${name} failed: ${(error as Error).message}`);
  }
}
