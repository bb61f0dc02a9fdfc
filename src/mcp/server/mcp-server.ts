import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  CancelledNotificationSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool as McpTool,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../observability/logger.js";
import { packageVersion } from "../../runtime/package-root.js";
import type { ToolRegistry } from "../../tools/registry.js";
import type { AnyTool } from "../../tools/tool.js";
import type { Cancellations } from "./cancellations.js";
import { fileSlots, mcpInputSchema } from "./file-slots.js";
import { callOrionChat, ORION_CHAT, type OrionChatDeps, orionChatTool } from "./orion-chat.js";
import { errorResult } from "./result-content.js";
import { callOrionTool, type McpCall, refusal } from "./tool-call.js";

/** While a call runs and the client asked for progress, it hears at least this often. */
const HEARTBEAT_MS = 5_000;

export interface McpServerDeps extends Omit<OrionChatDeps, "context"> {
  logger: Logger;
  cancellations: Cancellations;
}

/** The tools `/v1/tools` marks available, as the registry runs them. */
export function availableTools(tools: ToolRegistry): AnyTool[] {
  return tools
    .catalog()
    .filter((entry) => entry.reason === undefined)
    .map((entry) => tools.get(entry.tool.name))
    .filter((tool): tool is AnyTool => tool !== undefined);
}

/** Every tool an MCP client may call: the available ones, then orion_chat. */
export function mcpTools(tools: ToolRegistry): McpTool[] {
  const listed = availableTools(tools).map((tool) => ({
    name: tool.name,
    description: tool.description,
    inputSchema: mcpInputSchema(tool, fileSlots(tool)) as McpTool["inputSchema"],
  }));
  return [...listed, orionChatTool as McpTool];
}

/** What one HTTP request's server knows of its caller. */
export interface McpRequestScope extends Omit<McpCall, "signal" | "progress"> {
  /** Who the request's client is, for cancellations: its caller and User-Agent. */
  client: string;
  /** Aborted when the HTTP request ends early or the server's drain deadline passes. */
  signal: AbortSignal;
  context: OrionChatDeps["context"];
}

/**
 * The SDK's low-level Server for one HTTP request (stateless Streamable HTTP: nothing is kept
 * between requests, so any replica can answer any request). The low-level Server rather than
 * McpServer because the tools already carry their JSON Schema and their own argument check.
 */
export function createMcpServer(deps: McpServerDeps, scope: McpRequestScope): Server {
  const server = new Server(
    { name: "orion-server", version: packageVersion },
    {
      capabilities: { tools: { listChanged: true } },
      instructions:
        "Orion's vision, document and video tools, and the Orion agent (orion_chat). File arguments take data: URLs, https URLs, file ids or artifact ids from earlier results.",
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: mcpTools(deps.tools) }));
  server.setNotificationHandler(CancelledNotificationSchema, (notification) => {
    const { requestId, reason } = notification.params;
    if (requestId !== undefined) deps.cancellations.cancel(scope.client, requestId, reason);
  });
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name } = request.params;
    const tool = name === ORION_CHAT ? undefined : availableTools(deps.tools).find((t) => t.name === name);
    if (name !== ORION_CHAT && !tool) throw new McpError(ErrorCode.InvalidParams, `unknown tool: ${name}`);
    const running = deps.cancellations.begin(scope.client, extra.requestId);
    const signal = AbortSignal.any([extra.signal, running.signal, scope.signal]);
    const token = request.params._meta?.progressToken;
    let step = 0;
    const progress = (message: string) => {
      if (token === undefined || signal.aborted) return;
      extra
        .sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, progress: ++step, message },
        })
        .catch(() => {});
    };
    const started = Date.now();
    const heartbeat = setInterval(
      () => progress(`${name} running for ${Math.round((Date.now() - started) / 1000)} s`),
      HEARTBEAT_MS,
    );
    const call: McpCall = { ...scope, signal, progress };
    const args = request.params.arguments ?? {};
    try {
      return tool
        ? await callOrionTool(deps, tool, args, call)
        : await callOrionChat({ ...deps, context: scope.context }, args, call);
    } catch (error) {
      if (signal.aborted) return errorResult(`${name} was cancelled`);
      const refused = refusal(error);
      if (refused !== undefined) return errorResult(refused);
      deps.logger.error({ err: error, tool: name }, "MCP tool call failed unexpectedly");
      return errorResult(`${name} failed: internal error`);
    } finally {
      clearInterval(heartbeat);
      running.end();
    }
  });
  return server;
}
