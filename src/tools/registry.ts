import type { JsonObject } from "@bufbuild/protobuf";
import type { Model, Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { AnyTool, Checked, Need, Tool } from "./tool.js";

/** A tool this server could offer once configured: shown in ListModels with what enables it. */
export interface UnavailableTool {
  name: string;
  description: string;
  toolset: Toolset;
  needs: readonly Need[];
  provider?: Model;
  reason: string;
}

/** Every server tool, by name; selection by toolset; each tool checks its own arguments. */
export class ToolRegistry {
  private readonly tools = new Map<string, AnyTool>();
  private readonly missing: UnavailableTool[] = [];
  private unavailableNow: (tool: AnyTool) => string | undefined = () => undefined;

  /** Records tools that need configuration first (they are listed, never offered). */
  unavailable(...tools: UnavailableTool[]): this {
    this.missing.push(...tools);
    return this;
  }

  /** Every tool, available or not, for listing. */
  catalog(): {
    tool: Pick<Tool, "name" | "description" | "toolset" | "needs" | "provider" | "mcpServer">;
    reason?: string;
  }[] {
    return [
      ...[...this.tools.values()].map((tool) => {
        const reason = this.unavailableNow(tool);
        return reason === undefined ? { tool } : { tool, reason };
      }),
      ...this.missing.map((m) => ({ tool: m, reason: m.reason })),
    ];
  }

  /** Takes tools out of service (they stay listed, with the reason): e.g. no ffmpeg on this machine. */
  withdraw(matches: (tool: AnyTool) => boolean, reason: string): this {
    for (const tool of [...this.tools.values()].filter(matches)) {
      this.tools.delete(tool.name);
      this.missing.push({ ...tool, reason });
    }
    this.localToolsetsKnown = undefined;
    return this;
  }

  /**
   * Replaces the matching tools by what `wrap` makes of each (same name, schema and check; e.g.
   * run elsewhere), and lists them as unavailable while `unavailable` gives a reason (still
   * offered: a call then fails with that reason rather than the model quietly doing without).
   */
  wrap(
    matches: (tool: AnyTool) => boolean,
    wrap: (tool: AnyTool) => AnyTool,
    unavailable: (tool: AnyTool) => string | undefined = () => undefined,
  ): this {
    for (const tool of [...this.tools.values()].filter(matches)) this.tools.set(tool.name, wrap(tool));
    const before = this.unavailableNow;
    this.unavailableNow = (tool) => before(tool) ?? (matches(tool) ? unavailable(tool) : undefined);
    return this;
  }

  /** Takes tools out entirely (an outside MCP server's, before its list is taken again). */
  remove(matches: (tool: AnyTool) => boolean): this {
    for (const tool of [...this.tools.values()].filter(matches)) this.tools.delete(tool.name);
    this.localToolsetsKnown = undefined;
    return this;
  }

  register(...tools: AnyTool[]): this {
    for (const tool of tools) {
      if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
      this.tools.set(tool.name, tool);
    }
    this.localToolsetsKnown = undefined;
    return this;
  }

  get(name: string): AnyTool | undefined {
    return this.tools.get(name);
  }

  /**
   * The tools of these toolsets plus the tools of the named providers and outside MCP servers,
   * de-duplicated by name, in registration order. A provider's tools join their toolset only where
   * the toolset has no local tools of its own (world-gen); elsewhere they are offered when the
   * request names the provider.
   */
  select(
    toolsets: readonly Toolset[],
    providers: readonly Model[] = [],
    mcpServers: readonly string[] = [],
  ): AnyTool[] {
    const local = this.localToolsets();
    return [...this.tools.values()].filter((t) =>
      t.mcpServer !== undefined
        ? mcpServers.includes(t.mcpServer)
        : t.provider === undefined
          ? toolsets.includes(t.toolset)
          : providers.includes(t.provider) || (toolsets.includes(t.toolset) && !local.has(t.toolset)),
    );
  }

  /** Toolsets with tools of their own (not a provider's); asked on every chat, so kept until tools change. */
  private localToolsetsKnown: Set<Toolset> | undefined;
  private localToolsets(): Set<Toolset> {
    this.localToolsetsKnown ??= new Set(
      [...this.tools.values()]
        .filter((t) => t.provider === undefined && t.mcpServer === undefined)
        .map((t) => t.toolset),
    );
    return this.localToolsetsKnown;
  }

  /** The arguments checked by the tool's own schema: typed input, or one readable line per problem. */
  parse(name: string, args: unknown): Checked<unknown> {
    const tool = this.tools.get(name);
    return tool ? tool.check(args) : { ok: false, problems: [`unknown tool ${name}`] };
  }

  /** Problems with the arguments, as one readable line each; empty when valid. */
  check(name: string, args: unknown): string[] {
    const checked = this.parse(name, args);
    return checked.ok ? [] : checked.problems;
  }

  definitions(tools: AnyTool[]): { name: string; description: string; parameters: JsonObject }[] {
    return tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  }
}
