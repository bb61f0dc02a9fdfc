import { UnrecoverableError } from "bullmq";
import type { Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { StoreConfig, ToolQueueConfig } from "../config.js";
import { ToolError } from "../errors.js";
import type { ToolResult } from "../tools/tool.js";
import { wireNames } from "../wire/names.js";

/**
 * What the API process and `orion worker` agree on: queue and key names, the job's data and
 * result, and how a failure is told apart (the tool's own error, or the run's).
 */

/** One heavy tool call. Files travel as artifact ids in `input`; their bytes stay in the store. */
export interface ToolJobData {
  tool: string;
  /** The arguments as the API checked them (defaults filled in). */
  input: unknown;
  /** The caller's artifact scope: the worker reads and writes files there. */
  scope: string;
  /** Epoch ms after which nobody waits for the answer: the worker neither starts nor continues. */
  deadline: number;
}

export interface ToolJobResult {
  result: ToolResult;
  startedAt: number;
  finishedAt: number;
}

export const toolsetName = (toolset: Toolset) => wireNames.toolset.toWire(toolset) ?? String(toolset);

/** One queue per toolset, so a worker can take some toolsets and not others. */
export const queueName = (toolset: Toolset) => `tools-${toolsetName(toolset)}`;

/** BullMQ's key prefix; on Cluster wrapped in a hash tag so each queue's keys share one slot. */
export function queuePrefix(queue: ToolQueueConfig, store: StoreConfig): string {
  const cluster = store.clusterNodes.length > 0;
  return cluster && !/\{[^}]+\}/.test(queue.prefix) ? `{${queue.prefix}}` : queue.prefix;
}

/** Workers present per toolset: a sorted set of worker ids scored by when their heartbeat lapses. */
export const presenceKey = (prefix: string, toolset: Toolset) => `${prefix}:workers:${toolsetName(toolset)}`;

/** Set when the API gives up on a job, so a worker that has not started it yet never does. */
export const cancelledKey = (prefix: string, jobId: string) => `${prefix}:cancelled:${jobId}`;

/** Pub/sub channel on which the API tells whichever worker runs a job to stop it. */
export const cancelChannel = (prefix: string) => `${prefix}:cancel`;

const TOOL_ERROR = "tool-error: ";

/** The tool's own failure (bad file, nothing found): the model reads it; never retried. */
export const toolFailure = (message: string) => new UnrecoverableError(`${TOOL_ERROR}${message}`);

/** A failure retrying cannot mend (cancelled, expired): ends the job at once. */
export const finalFailure = (message: string) => new UnrecoverableError(message);

/** The failed job's reason as the error the agent's tool runner turns into the model's tool message. */
export function failureOf(reason: string): Error {
  if (reason.startsWith(TOOL_ERROR)) return new ToolError(reason.slice(TOOL_ERROR.length));
  if (/stalled more than/i.test(reason))
    return new Error("the tool workers running it stopped repeatedly (ORION_TOOL_ATTEMPTS)");
  return new Error(reason);
}
