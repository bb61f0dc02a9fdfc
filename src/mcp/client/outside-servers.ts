import type { FetchPolicy, McpServerConfig } from "../../config.js";
import type { Logger } from "../../observability/logger.js";
import type { ToolRegistry } from "../../tools/registry.js";
import { guardedMcpFetch } from "./guarded-fetch.js";
import { OutsideMcpServer } from "./outside-server.js";
import { outsideTool } from "./outside-tool.js";

/** A server that could not be listed is tried again this often. */
const RETRY_MS = 30_000;

/**
 * The outside MCP servers of ORION_MCP_SERVERS: each one's tools are listed at start (within its
 * timeout) and registered under its toolset, listed again when it says they changed; one that
 * cannot be reached is logged and tried again every 30 s, and the server starts without it.
 */
export class OutsideMcpServers {
  private readonly servers: OutsideMcpServer[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly http: ReturnType<typeof guardedMcpFetch>;
  private closed = false;

  constructor(
    configs: McpServerConfig[],
    policy: FetchPolicy,
    private readonly registry: ToolRegistry,
    private readonly logger: Logger,
  ) {
    this.http = guardedMcpFetch(policy);
    this.servers = configs.map((config) => {
      const server: OutsideMcpServer = new OutsideMcpServer(
        config,
        this.http.fetch,
        () => void this.list(server),
      );
      return server;
    });
  }

  /** Lists every server once, in parallel; resolves when each has answered or failed. */
  async start(): Promise<void> {
    await Promise.all(this.servers.map((server) => this.list(server)));
  }

  private async list(server: OutsideMcpServer): Promise<void> {
    const { name, timeoutMs } = server.config;
    try {
      const listed = await server.listTools(AbortSignal.timeout(timeoutMs));
      const tools = listed.map((tool) => outsideTool(server, tool));
      this.registry.remove((t) => t.mcpServer === name);
      const seen = new Set<string>();
      for (const tool of tools) {
        if (seen.has(tool.name) || this.registry.get(tool.name)) {
          this.logger.warn({ mcp_server: name, tool: tool.name }, "skipping an MCP tool whose name is taken");
          continue;
        }
        seen.add(tool.name);
        this.registry.register(tool);
      }
      this.logger.info({ mcp_server: name, tools: seen.size }, "MCP server's tools listed");
    } catch (error) {
      this.logger.warn(
        { mcp_server: name, err: (error as Error).message, retry_in_ms: RETRY_MS },
        "MCP server could not be listed; its tools are not offered until it can",
      );
      if (this.closed) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.list(server);
      }, RETRY_MS);
      timer.unref();
      this.timers.add(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all(this.servers.map((s) => s.close()));
    await this.http.close();
  }
}
