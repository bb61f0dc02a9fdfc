import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { CallToolResult, Tool as McpTool } from "@modelcontextprotocol/sdk/types.js";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { ArtifactMeta } from "../../artifacts/artifacts.js";
import { ToolError } from "../../errors.js";
import type { AnyTool, ToolContext } from "../../tools/tool.js";
import type { OutsideMcpServer } from "./outside-server.js";

/** What of a result's text the model reads (the rest is cut, and says so). */
const MAX_TEXT = 64 * 1024;
const MAX_DESCRIPTION = 1024;

/** "<server>__<tool>", in the characters and length function names allow (OpenAI: [A-Za-z0-9_-]{1,64}). */
export function outsideToolName(server: string, tool: string): string {
  return `${server}__${tool.replace(/[^A-Za-z0-9_-]/g, "_")}`.slice(0, 64);
}

function capped(text: string, limit: number): string {
  return text.length <= limit
    ? text
    : `${text.slice(0, limit)}… (${text.length - limit} more characters cut)`;
}

/**
 * An outside server's tool as one of the agent's: offered when the request names "mcp:<server>",
 * run with the server's tool timeout (the tool runner's signal), its `isError` results and
 * failures turned into tool errors the model reads. Its arguments are checked by the server that
 * owns the schema; here only that they are an object.
 */
export function outsideTool(server: OutsideMcpServer, tool: McpTool): AnyTool {
  const name = outsideToolName(server.config.name, tool.name);
  const described = tool.description ?? tool.title ?? tool.name;
  return {
    name,
    description: capped(`${described} (MCP server ${server.config.name})`, MAX_DESCRIPTION),
    toolset: Toolset.UNSPECIFIED,
    mcpServer: server.config.name,
    needs: ["none"],
    parameters: tool.inputSchema as JsonObject,
    timeoutMs: server.config.timeoutMs,
    check(args) {
      return typeof args === "object" && args !== null && !Array.isArray(args)
        ? { ok: true, input: args }
        : { ok: false, problems: ["arguments must be an object"] };
    },
    async execute(input: Record<string, unknown>, ctx: ToolContext) {
      let result: CallToolResult;
      try {
        result = await server.call(tool.name, input, ctx.signal);
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        throw new ToolError(`MCP server ${server.config.name} failed: ${(error as Error).message}`);
      }
      const text = capped(
        result.content.flatMap((c) => (c.type === "text" ? [c.text] : [])).join("\n"),
        MAX_TEXT,
      );
      if (result.isError) throw new ToolError(`${name}: ${text || "the tool reported an error"}`);
      const artifacts: ArtifactMeta[] = [];
      for (const item of result.content) {
        if (item.type === "image")
          artifacts.push(
            await ctx.artifacts.put(Buffer.from(item.data, "base64"), item.mimeType, `${name}.img`),
          );
      }
      const summary = capped(
        text.split("\n")[0] || `${name} returned ${result.content.length} content items`,
        300,
      );
      const data = (result.structuredContent as JsonValue | undefined) ?? (text === "" ? undefined : text);
      return { summary, artifacts, ...(data === undefined ? {} : { data }) };
    },
  };
}
