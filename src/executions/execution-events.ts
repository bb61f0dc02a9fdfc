import { create, fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import {
  type Execution,
  type ExecutionEvent,
  ExecutionEventSchema,
  ExecutionSchema,
  ExecutionStatus,
} from "../../gen/vlmrun/agent/v1/executions_pb.js";
import type { ExecutionRecord, ExecutionStatusName, StoredEvent } from "../store/execution-store.js";

/** How an execution and its events are kept in the store: proto JSON, one format for every store. */

export const STATUS_OF: Record<ExecutionStatusName, ExecutionStatus> = {
  pending: ExecutionStatus.PENDING,
  running: ExecutionStatus.RUNNING,
  completed: ExecutionStatus.COMPLETED,
  failed: ExecutionStatus.FAILED,
  cancelled: ExecutionStatus.CANCELLED,
};

export function executionText(execution: Execution): string {
  return toJsonString(ExecutionSchema, execution);
}

/** The execution as stored, with what only the record tracks (status, attempts) brought up to date. */
export function executionOf(record: ExecutionRecord): Execution {
  const execution = fromJsonString(ExecutionSchema, record.execution);
  execution.status = STATUS_OF[record.status];
  execution.attempts = record.attempts;
  return execution;
}

export function eventText(init: {
  type: string;
  agentEvent?: ExecutionEvent["agentEvent"];
  text?: string;
  execution?: Execution;
}): string {
  return toJsonString(ExecutionEventSchema, create(ExecutionEventSchema, { ...init, time: timestampNow() }));
}

export function eventOf(stored: StoredEvent): ExecutionEvent {
  const event = fromJsonString(ExecutionEventSchema, stored.event);
  event.sequence = BigInt(stored.sequence);
  return event;
}

/** The type of the event that ends an execution with this status. */
export const FINAL_TYPE = {
  completed: "execution.completed",
  failed: "execution.failed",
  cancelled: "execution.cancelled",
} as const;

export function isFinal(event: ExecutionEvent): boolean {
  return Object.values(FINAL_TYPE).includes(event.type as never);
}
