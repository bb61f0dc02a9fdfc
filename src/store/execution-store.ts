/**
 * Where durable agent executions live: the record (status, attempts, the request, the result) and
 * its event log, numbered 1, 2, 3… by the store itself so that no two writers (a run and a cancel,
 * or a resumed run after a crash) can reuse a number. Implemented for memory, SQLite and Redis and
 * held to one contract suite (test/store/execution-store-contract.test.ts).
 */
export interface ExecutionStore {
  /** A new execution, pending; it and its events are dropped after `ttlMs`. */
  create(record: NewExecution, ttlMs: number): Promise<void>;
  get(id: string): Promise<ExecutionRecord | undefined>;
  /** The owner's executions, newest first. */
  list(owner: string, skip: number, limit: number): Promise<ExecutionRecord[]>;
  /**
   * A process begins (or, after a crash, resumes) running it: pending or running → running, one
   * more attempt. Undefined when it has ended (or is unknown): there is nothing to run.
   */
  start(id: string): Promise<ExecutionRecord | undefined>;
  /**
   * A process that is stopping gives back a run it did not finish: running → pending, and the
   * attempt is not counted (a redeploy is not a crash).
   */
  handBack(id: string): Promise<void>;
  /**
   * Appends an event and returns its sequence number; 0 when the execution has ended (its log is
   * closed by its final event) or its log is full (the final event always has room).
   */
  append(id: string, event: string): Promise<number>;
  /**
   * Ends it, if it has not ended: the status, the execution as it ends, and the final event, in
   * one step. Returns the final event's sequence number, or 0 when it had already ended.
   */
  finish(id: string, status: TerminalStatus, execution: string, finalEvent: string): Promise<number>;
  /** Events after `after`, oldest first, at most `limit`. */
  events(id: string, after: number, limit: number): Promise<StoredEvent[]>;
  /**
   * Resolves when an event after `after` may have been appended (also by another process), or
   * after `timeoutMs`, or when `signal` aborts; the caller reads `events` again either way.
   */
  waitForEvents(id: string, after: number, timeoutMs: number, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/**
 * The embedded stores' own queue: with no BullMQ, the server processes on the machine take
 * executions from the store under a lease, so a run whose process died is taken again once its
 * lease lapses (also by the same process after a restart).
 */
export interface ExecutionLeases {
  /** A pending execution, or a running one whose lease lapsed, now leased to `worker`. */
  claim(worker: string, leaseMs: number): Promise<string | undefined>;
  /** Extends the lease; false when another worker holds it now (or it ended). */
  renew(id: string, worker: string, leaseMs: number): Promise<boolean>;
  release(id: string, worker: string): Promise<void>;
}

export type ExecutionStatusName = "pending" | "running" | "completed" | "failed" | "cancelled";
export type TerminalStatus = "completed" | "failed" | "cancelled";

export const TERMINAL: ReadonlySet<ExecutionStatusName> = new Set(["completed", "failed", "cancelled"]);

export interface NewExecution {
  id: string;
  owner: string;
  createdAt: number;
  /** The execution as submitted (proto JSON of Execution). */
  execution: string;
  /** What the run needs: the chat request, the caller, the callback (JSON). */
  spec: string;
}

export interface ExecutionRecord extends NewExecution {
  status: ExecutionStatusName;
  attempts: number;
  /** The last event's sequence number (0: none yet). */
  lastSequence: number;
}

export interface StoredEvent {
  sequence: number;
  event: string;
}

export interface ExecutionStoreLimits {
  /** Most events one execution's log keeps; later ones (but the final event) are dropped. */
  maxEvents: number;
}
