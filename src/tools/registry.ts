import type { JsonObject } from "@bufbuild/protobuf";
import { Ajv, type ValidateFunction } from "ajv";
import type { Model, Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { Need, Tool } from "./tool.js";

/** A tool this server could offer once configured: shown in ListModels with what enables it. */
export interface UnavailableTool {
  name: string;
  description: string;
  toolset: Toolset;
  needs: readonly Need[];
  provider?: Model;
  reason: string;
}

/** Every server tool, by name; selection by toolset; argument validation with Ajv (compiled once). */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly missing: UnavailableTool[] = [];

  /** Records tools that need configuration first (they are listed, never offered). */
  unavailable(...tools: UnavailableTool[]): this {
    this.missing.push(...tools);
    return this;
  }

  /** Every tool, available or not, for listing. */
  catalog(): {
    tool: Pick<Tool, "name" | "description" | "toolset" | "needs" | "provider">;
    reason?: string;
  }[] {
    return [
      ...[...this.tools.values()].map((tool) => ({ tool })),
      ...this.missing.map((m) => ({ tool: m, reason: m.reason })),
    ];
  }

  register(...tools: Tool[]): this {
    for (const tool of tools) {
      if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
      this.tools.set(tool.name, tool);
      this.validators.set(tool.name, this.ajv.compile(tool.parameters));
    }
    return this;
  }

  get(name: string): Tool | undefined {
    return this.tools.get(name);
  }

  /**
   * The tools of these toolsets plus the tools of the named providers, de-duplicated by name, in
   * registration order. A provider's tools join their toolset only where the toolset has no local
   * tools of its own (world-gen); elsewhere they are offered when the request names the provider.
   */
  select(toolsets: readonly Toolset[], providers: readonly Model[] = []): Tool[] {
    const local = new Set(
      [...this.tools.values()].filter((t) => t.provider === undefined).map((t) => t.toolset),
    );
    return [...this.tools.values()].filter((t) =>
      t.provider === undefined
        ? toolsets.includes(t.toolset)
        : providers.includes(t.provider) || (toolsets.includes(t.toolset) && !local.has(t.toolset)),
    );
  }

  /** Problems with the arguments, as one readable line each; empty when valid. */
  check(name: string, args: unknown): string[] {
    const validate = this.validators.get(name);
    if (!validate) return [`unknown tool ${name}`];
    if (validate(args)) return [];
    return (validate.errors ?? []).map((e) =>
      `${e.instancePath || "arguments"} ${e.message ?? "is invalid"}`.trim(),
    );
  }

  definitions(tools: Tool[]): { name: string; description: string; parameters: JsonObject }[] {
    return tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  }
}
