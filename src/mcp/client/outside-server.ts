import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type CallToolResult,
  type Tool as McpTool,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { McpServerConfig } from "../../config.js";
import { packageVersion } from "../../runtime/package-root.js";

/** Most tools taken from one server (its list is paged; the rest are ignored). */
const MAX_TOOLS = 256;

/**
 * One outside MCP server (ORION_MCP_SERVERS), reached with the SDK's Streamable HTTP client. The
 * connection is made on first use and made again after a failure, so a server that restarts is
 * used again without restarting this one.
 */
export class OutsideMcpServer {
  private client: Promise<Client> | undefined;

  constructor(
    readonly config: McpServerConfig,
    private readonly fetch: FetchLike,
    /** Told when the server says its tools changed. */
    private readonly onListChanged: () => void = () => {},
  ) {}

  private connected(signal?: AbortSignal): Promise<Client> {
    this.client ??= (async () => {
      const client = new Client({ name: "orion-server", version: packageVersion });
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.onListChanged());
      const transport = new StreamableHTTPClientTransport(new URL(this.config.url), {
        requestInit: { headers: this.config.headers },
        fetch: this.fetch,
      });
      client.onclose = () => this.forget(client);
      await client.connect(transport, { timeout: this.config.timeoutMs, ...(signal ? { signal } : {}) });
      return client;
    })();
    const pending = this.client;
    pending.catch(() => {
      if (this.client === pending) this.client = undefined;
    });
    return pending;
  }

  private forget(client: Client) {
    void this.client?.then(
      (current) => {
        if (current === client) this.client = undefined;
      },
      () => {},
    );
  }

  /** Its tools, every page up to MAX_TOOLS, within its timeout. */
  async listTools(signal?: AbortSignal): Promise<McpTool[]> {
    const client = await this.connected(signal);
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, {
        timeout: this.config.timeoutMs,
        ...(signal ? { signal } : {}),
      });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor && tools.length < MAX_TOOLS);
    return tools.slice(0, MAX_TOOLS);
  }

  /** Calls one of its tools; `signal` is the tool runner's (its timeout and the chat's cancellation). */
  async call(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
    const client = await this.connected(signal);
    try {
      // The tool runner's signal carries the timeout; the SDK's own is a backstop just after it.
      return (await client.callTool({ name, arguments: args }, undefined, {
        signal,
        timeout: this.config.timeoutMs + 1_000,
      })) as CallToolResult;
    } catch (error) {
      // A transport failure may leave a dead connection: the next call makes a new one.
      if (!signal.aborted) {
        this.forget(client);
        void client.close().catch(() => {});
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    const client = await this.client?.catch(() => undefined);
    this.client = undefined;
    await client?.close().catch(() => {});
  }
}
