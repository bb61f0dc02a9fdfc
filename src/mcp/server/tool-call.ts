import { Code, ConnectError } from "@connectrpc/connect";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { runTool, type ToolObserver } from "../../agent/tool-runner.js";
import { type ArtifactMeta, Artifacts } from "../../artifacts/artifacts.js";
import type { Config } from "../../config.js";
import { errorFacts, ToolError } from "../../errors.js";
import type { Caller } from "../../identity/caller.js";
import type { Quota } from "../../quota/quota.js";
import type { ToolRegistry } from "../../tools/registry.js";
import type { AnyTool, ToolContext } from "../../tools/tool.js";
import { type FileIdResolver, FileRefs } from "./file-refs.js";
import { fileSlots, resolveFileArguments } from "./file-slots.js";
import { errorResult, resultContent } from "./result-content.js";

/** Where an MCP caller's tool calls keep their files: one scope per caller, shared by its calls. */
export const MCP_SESSION = "mcp";

export interface McpToolDeps {
  config: Pick<Config, "fetch" | "media">;
  tools: ToolRegistry;
  artifacts: Artifacts;
  quota: Quota;
  /** The Files API's lookup of a caller's file ids; absent until that API is wired in. */
  fileIds?: FileIdResolver;
  observeTool?: ToolObserver;
}

/** One MCP `tools/call`: who asked, its cancellation, and how to reach the client while it runs. */
export interface McpCall {
  caller: Caller;
  owner: string;
  signal: AbortSignal;
  progress(message: string): void;
  /** The absolute URL of an artifact of a session of this caller. */
  link(sessionId: string, artifactId: string): string;
}

/** A ConnectError the service raised (quota, store) as the one line an MCP client reads. */
export function refusal(error: unknown): string | undefined {
  if (!(error instanceof ConnectError) || error.code === Code.Unknown || error.code === Code.Internal)
    return undefined;
  const retry = errorFacts(error).retryAfterSeconds;
  return retry === undefined ? error.rawMessage : `${error.rawMessage} (retry in ${retry} s)`;
}

/**
 * Runs one of the server's tools for an MCP client: file arguments become artifacts of the
 * caller's MCP scope, the arguments are checked by the tool's own schema, the call is charged to
 * the caller's plan, and it runs through the agent's tool runner (its timeout, its error results).
 * Every failure of the call itself is an `isError` result.
 */
export async function callOrionTool(
  deps: McpToolDeps,
  tool: AnyTool,
  args: unknown,
  call: McpCall,
): Promise<CallToolResult> {
  if (typeof args !== "object" || args === null || Array.isArray(args))
    return errorResult(`invalid arguments for ${tool.name}: arguments must be an object`);
  const scope = Artifacts.scope(call.owner, MCP_SESSION);
  const refs = new FileRefs(deps, call.owner, scope, call.signal);
  let resolved: Record<string, unknown>;
  try {
    resolved = await resolveFileArguments(args as Record<string, unknown>, fileSlots(tool), refs);
  } catch (error) {
    if (error instanceof ToolError) return errorResult(error.message);
    throw error;
  }
  const checked = tool.check(resolved);
  if (!checked.ok) return errorResult(`invalid arguments for ${tool.name}: ${checked.problems.join("; ")}`);
  await deps.quota.admit(call.caller);

  const produced: ArtifactMeta[] = [];
  const ctx: ToolContext = {
    signal: call.signal,
    progress: call.progress,
    artifacts: {
      scope,
      adopt: (meta) => produced.push(meta),
      put: async (data, contentType, filename) => {
        const meta = await deps.artifacts.put(scope, data, contentType, filename);
        produced.push(meta);
        return meta;
      },
      get: (ref) => deps.artifacts.get(scope, ref),
    },
  };
  const outcome = await runTool(deps.tools, tool.name, JSON.stringify(resolved), ctx, deps.observeTool);
  if (!outcome.ok) return errorResult(outcome.summary);
  return resultContent(outcome.content, {
    produced,
    read: async (id) => (await deps.artifacts.get(scope, id))?.data,
    link: (id) => call.link(MCP_SESSION, id),
  });
}
