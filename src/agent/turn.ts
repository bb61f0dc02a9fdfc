import type { ToolCall } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import type { Caps } from "./caps.js";

/**
 * What the agent does after a model turn, decided the same way for whole and streamed replies:
 * - `answer`: no server tool call, the model's reply stands (client calls go back as they are);
 * - `cap`: the trajectory would pass its caps, so it ends with a note saying so;
 * - `run`: run the server calls, feed the results back, and ask the model again;
 * - `hybrid`: run the server calls, then hand the client's calls back to the client.
 */
export type TurnDecision = "answer" | "cap" | "run" | "hybrid";

/** A model turn's tool calls, by who answers them (in the order the model made them). */
export interface SplitCalls {
  server: ToolCall[];
  client: ToolCall[];
}

export function splitCalls(calls: readonly ToolCall[], serverNames: ReadonlySet<string>): SplitCalls {
  const split: SplitCalls = { server: [], client: [] };
  for (const call of calls)
    (serverNames.has(call.function?.name ?? "") ? split.server : split.client).push(call);
  return split;
}

/** `steps` counts model turns so far, this one included; `calls` the server calls already run. */
export function decideTurn(
  turn: SplitCalls,
  done: { steps: number; calls: number },
  caps: Caps,
): TurnDecision {
  if (turn.server.length === 0) return "answer";
  if (done.steps >= caps.steps || done.calls + turn.server.length > caps.toolCalls) return "cap";
  return turn.client.length > 0 ? "hybrid" : "run";
}

export function capMessage(caps: Caps, steps: number, calls: number): string {
  return `[stopped: this answer reached the agent's limit (${steps} steps, ${calls} tool calls; caps ${caps.steps} steps and ${caps.toolCalls} tool calls)]`;
}
