import type { FileStorage } from "./file-storage.js";

/**
 * The shared state of every server instance: quota counters, sessions, API keys and idempotency
 * records. Each method is one atomic operation (one round trip on Redis), implemented by each
 * store and held to one contract suite.
 *
 * Visibility: a read sees every write whose promise has resolved (read your writes). A write still
 * pending may not be seen yet (the durable store runs a turn's writes together at its end), and no
 * store lets a read see a write that then fails.
 */
export interface Store {
  readonly kind: "memory" | "sqlite" | "redis" | "redis-cluster";

  /**
   * If the counter + 1 stays within `limit`, increments it (expiring at `expireAtMs` when new).
   * With `also`, a second counter is checked and counted in the same atomic step: both or neither
   * (on Redis Cluster the two keys must share a hash tag).
   */
  consume(
    key: string,
    limit: number,
    expireAtMs: number,
    also?: { key: string; limit: number },
  ): Promise<ConsumeResult>;
  /** Gives one back (never below zero), to each counter named. */
  refund(key: string, alsoKey?: string): Promise<void>;
  peek(key: string): Promise<CounterState>;

  /** Appends to a session owned by `owner`; "forbidden" when someone else owns it. */
  appendSession(
    id: string,
    owner: string,
    entries: string[],
    limits: SessionLimits,
  ): Promise<"ok" | "forbidden">;
  readSession(id: string): Promise<StoredSession | undefined>;
  deleteSession(id: string): Promise<boolean>;

  /** A value with a TTL, set only if absent (idempotency records). True when set. */
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  get(key: string): Promise<string | undefined>;
  /** Sets (overwrites) a value with a TTL. */
  put(key: string, value: string, ttlMs: number): Promise<void>;
  remove(key: string): Promise<void>;

  /** Binary artifacts in a scope (owner + session), each with JSON metadata; the scope expires as a whole. */
  putArtifact(scope: string, id: string, meta: string, data: Uint8Array, ttlMs: number): Promise<void>;
  getArtifact(scope: string, id: string): Promise<{ meta: string; data: Uint8Array } | undefined>;
  /** Metadata of every artifact in a scope, by id. */
  listArtifacts(scope: string): Promise<Record<string, string>>;

  /** A small named map (API keys by hash). */
  mapSet(map: string, field: string, value: string): Promise<void>;
  mapGet(map: string, field: string): Promise<string | undefined>;
  mapEntries(map: string): Promise<Record<string, string>>;
  mapDelete(map: string, field: string): Promise<boolean>;

  /** Uploaded files (the Files API), kept where the rest of this store's state is. */
  files(): FileStorage;

  /** Resolves when the store answers; rejects otherwise (within its command timeout). */
  ping(): Promise<void>;
  /** Resolves once connected (at once for the embedded store); rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface CounterState {
  count: number;
  /** Milliseconds until the counter resets; 0 when it does not exist. */
  resetMs: number;
}

export interface ConsumeResult extends CounterState {
  allowed: boolean;
  /** When refused: which counter was full. */
  refusedBy?: "key" | "also";
}

export interface SessionLimits {
  ttlMs: number;
  /** Oldest entries are dropped beyond this many. */
  maxEntries: number;
  /** Oldest entries are dropped while the entries' UTF-8 bytes add up to more than this. */
  maxBytes: number;
}

/**
 * How many of a session's oldest entries go so that both limits hold (`sizes` oldest first, in
 * UTF-8 bytes, `total` their sum), and the bytes left: the rule every store trims by (Redis's
 * script too).
 */
export function oldestToDrop(sizes: readonly number[], total: number, limits: SessionLimits) {
  let drop = 0;
  let bytes = total;
  while (drop < sizes.length && (sizes.length - drop > limits.maxEntries || bytes > limits.maxBytes)) {
    bytes -= sizes[drop++] as number;
  }
  return { drop, bytes };
}

export interface StoredSession {
  owner: string;
  createdAt: number;
  updatedAt: number;
  entries: string[];
}

/** Thrown when the store cannot answer (down, timed out); surfaces turn it into 503 or a policy. */
export class StoreUnavailable extends Error {
  constructor(cause: unknown) {
    super(`the store is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The store cannot be opened at start (data directory, file, schema); the message says what to do. */
export class StoreOpenError extends Error {}
