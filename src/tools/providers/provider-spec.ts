import type { Model, Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { Need, Tool } from "../tool.js";

/** What every provider adapter is told about the provider it serves and the tool it adds. */
export interface ProviderSpec {
  provider: Model;
  /** The provider's wire id, e.g. "meta-sam3" (in messages and as the default model name). */
  id: string;
  /** The tool's name, e.g. "sam3_segment". */
  tool: string;
  toolset: Toolset;
  /** What the tool works on (generation needs nothing; analysis needs images or video). */
  needs: readonly Need[];
  description: string;
}

/** The part of a provider's tool that comes from its spec; the adapter adds the rest. */
export function toolHead(
  spec: ProviderSpec,
  timeoutMs: number,
): Pick<Tool, "name" | "description" | "toolset" | "needs" | "provider" | "timeoutMs"> {
  return {
    name: spec.tool,
    description: spec.description,
    toolset: spec.toolset,
    needs: spec.needs,
    provider: spec.provider,
    timeoutMs,
  };
}
