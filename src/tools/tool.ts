import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Model, Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { ArtifactMeta } from "../artifacts/artifacts.js";

/** What a running tool may use: cancellation, the caller's artifacts, progress reporting. */
export interface ToolContext {
  signal: AbortSignal;
  artifacts: {
    put(data: Uint8Array, contentType: string, filename?: string): Promise<ArtifactMeta>;
    get(ref: string): Promise<{ meta: ArtifactMeta; data: Uint8Array } | undefined>;
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

/** What a tool works on: a kind of file in the request or the session, or nothing ("none"). */
export type Need = "image" | "video" | "document" | "audio" | "none";
export const NEEDS: readonly Need[] = ["image", "video", "document", "audio", "none"];

/** A server-side tool: its JSON Schema is checked before `execute` runs. */
export interface Tool {
  name: string;
  description: string;
  toolset: Toolset;
  /** It can run when any of these is at hand (a file of that kind, or "none": always). */
  needs: readonly Need[];
  /** JSON Schema (an object schema) of the arguments. */
  parameters: JsonObject;
  /** Set on a tool provider's tools: offered when the request's `models` names the provider. */
  provider?: Model;
  /** How long one call may run (default 60 s); long-running generation sets more. */
  timeoutMs?: number;
  execute(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult>;
}
