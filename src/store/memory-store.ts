import type { FileStorage } from "./file-storage.js";
import { LruBudget } from "./lru-budget.js";
import { MemoryFiles } from "./memory-files.js";
import {
  type ConsumeResult,
  type CounterState,
  oldestToDrop,
  type SessionLimits,
  type Store,
  type StoredSession,
} from "./store.js";

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

export interface MemoryStoreLimits {
  /** Most sessions kept; the least recently written go first. */
  maxSessions: number;
  /** Most bytes of session messages kept, over all sessions; the least recently written go first. */
  maxSessionBytes: number;
  /** Most bytes of records (idempotent replies) kept; the least recently written go first. */
  maxRecordBytes: number;
  /** Most artifact bytes kept; the least recently written scopes go first. */
  maxArtifactBytes: number;
}

export const DEFAULT_MEMORY_LIMITS: MemoryStoreLimits = {
  maxSessions: 50_000,
  maxSessionBytes: 256 * 1024 * 1024,
  maxRecordBytes: 64 * 1024 * 1024,
  maxArtifactBytes: 512 * 1024 * 1024,
};

/** What the embedded store holds, in bytes of stored values, for /metrics. */
// A type, not an interface, so it is a Record<string, number> for the metrics that report it.
export type MemoryStoreUsage = {
  sessions: number;
  records: number;
  artifacts: number;
};

/** A session as kept here: the stored form plus each entry's size, so trimming never re-measures. */
interface KeptSession {
  session: StoredSession;
  sizes: number[];
  bytes: number;
}

type ArtifactScope = Map<string, { meta: string; data: Uint8Array }>;

/** Bytes a text takes as UTF-8: what Redis stores, so both stores trim sessions alike. */
const utf8Bytes = (text: string) => Buffer.byteLength(text, "utf8");

/**
 * The embedded store for single-process setups: same semantics as Redis, nothing to install, and
 * bounded by bytes as well as counts (unlike Redis it cannot grow past the process's memory, so the
 * least recently written sessions, records and artifacts are evicted past the limits).
 */
export class MemoryStore implements Store {
  readonly kind = "memory";
  private readonly counters = new Map<string, Expiring<number>>();
  private readonly sessions: LruBudget<KeptSession>;
  private readonly records: LruBudget<string>;
  private readonly maps = new Map<string, Map<string, string>>();
  private readonly artifacts: LruBudget<ArtifactScope>;
  private readonly sweeper: NodeJS.Timeout;
  private filesPort: MemoryFiles | undefined;

  constructor(
    private readonly now: () => number = Date.now,
    limits: MemoryStoreLimits = DEFAULT_MEMORY_LIMITS,
  ) {
    this.sessions = new LruBudget({ maxEntries: limits.maxSessions, maxBytes: limits.maxSessionBytes }, now);
    this.records = new LruBudget(
      { maxEntries: Number.POSITIVE_INFINITY, maxBytes: limits.maxRecordBytes },
      now,
    );
    this.artifacts = new LruBudget(
      { maxEntries: Number.POSITIVE_INFINITY, maxBytes: limits.maxArtifactBytes },
      now,
    );
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  usage(): MemoryStoreUsage {
    return { sessions: this.sessions.bytes, records: this.records.bytes, artifacts: this.artifacts.bytes };
  }

  private live<T>(map: Map<string, Expiring<T>>, key: string): Expiring<T> | undefined {
    const entry = map.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.counters) if (entry.expiresAt <= now) this.counters.delete(key);
    this.sessions.sweep();
    this.records.sweep();
    this.artifacts.sweep();
  }

  async consume(
    key: string,
    limit: number,
    expireAtMs: number,
    also?: { key: string; limit: number },
  ): Promise<ConsumeResult> {
    const entry = this.live(this.counters, key);
    const count = entry?.value ?? 0;
    const resetMs = entry ? entry.expiresAt - this.now() : 0;
    if (count + 1 > limit) return { allowed: false, count, resetMs, refusedBy: "key" };
    if (also && (this.live(this.counters, also.key)?.value ?? 0) + 1 > also.limit)
      return { allowed: false, count, resetMs, refusedBy: "also" };
    const next = this.increment(key, entry, expireAtMs);
    if (also) this.increment(also.key, this.live(this.counters, also.key), expireAtMs);
    return { allowed: true, count: next.value, resetMs: next.expiresAt - this.now() };
  }

  private increment(key: string, entry: Expiring<number> | undefined, expireAtMs: number) {
    const next = entry ?? { value: 0, expiresAt: expireAtMs };
    next.value++;
    this.counters.set(key, next);
    return next;
  }

  async refund(key: string, alsoKey?: string) {
    for (const k of alsoKey ? [key, alsoKey] : [key]) {
      const entry = this.live(this.counters, k);
      if (entry && entry.value > 0) entry.value--;
    }
  }

  async peek(key: string): Promise<CounterState> {
    const entry = this.live(this.counters, key);
    return entry ? { count: entry.value, resetMs: entry.expiresAt - this.now() } : { count: 0, resetMs: 0 };
  }

  async appendSession(id: string, owner: string, entries: string[], limits: SessionLimits) {
    const now = this.now();
    const existing = this.sessions.get(id);
    if (existing && existing.session.owner !== owner) return "forbidden" as const;
    const kept = existing ?? {
      session: { owner, createdAt: now, updatedAt: now, entries: [] },
      sizes: [],
      bytes: 0,
    };
    for (const entry of entries) {
      const size = utf8Bytes(entry);
      kept.session.entries.push(entry);
      kept.sizes.push(size);
      kept.bytes += size;
    }
    const { drop, bytes } = oldestToDrop(kept.sizes, kept.bytes, limits);
    if (drop > 0) {
      kept.session.entries.splice(0, drop);
      kept.sizes.splice(0, drop);
      kept.bytes = bytes;
    }
    kept.session.updatedAt = now;
    this.sessions.set(id, kept, kept.bytes, now + limits.ttlMs);
    return "ok" as const;
  }

  async readSession(id: string) {
    const kept = this.sessions.get(id);
    return kept ? { ...kept.session, entries: [...kept.session.entries] } : undefined;
  }

  async deleteSession(id: string) {
    return this.sessions.delete(id);
  }

  async putIfAbsent(key: string, value: string, ttlMs: number) {
    if (this.records.get(key) !== undefined) return false;
    this.records.set(key, value, utf8Bytes(value), this.now() + ttlMs);
    return true;
  }

  async get(key: string) {
    return this.records.get(key);
  }

  async put(key: string, value: string, ttlMs: number) {
    this.records.set(key, value, utf8Bytes(value), this.now() + ttlMs);
  }

  async remove(key: string) {
    this.records.delete(key);
  }

  async putArtifact(scope: string, id: string, meta: string, data: Uint8Array, ttlMs: number) {
    const artifacts: ArtifactScope = this.artifacts.get(scope) ?? new Map();
    artifacts.set(id, { meta, data });
    let bytes = 0;
    for (const artifact of artifacts.values()) bytes += artifact.data.byteLength;
    this.artifacts.set(scope, artifacts, bytes, this.now() + ttlMs);
  }

  async getArtifact(scope: string, id: string) {
    return this.artifacts.get(scope)?.get(id);
  }

  async listArtifacts(scope: string) {
    return Object.fromEntries([...(this.artifacts.get(scope) ?? [])].map(([id, a]) => [id, a.meta]));
  }

  async mapSet(map: string, field: string, value: string) {
    let m = this.maps.get(map);
    if (!m) {
      m = new Map();
      this.maps.set(map, m);
    }
    m.set(field, value);
  }

  async mapGet(map: string, field: string) {
    return this.maps.get(map)?.get(field);
  }

  async mapEntries(map: string) {
    return Object.fromEntries(this.maps.get(map) ?? []);
  }

  async mapDelete(map: string, field: string) {
    return this.maps.get(map)?.delete(field) ?? false;
  }

  files(): FileStorage {
    this.filesPort ??= new MemoryFiles(this.now);
    return this.filesPort;
  }

  async ping() {}

  async ready(_timeoutMs: number) {}

  async close() {
    clearInterval(this.sweeper);
  }
}
