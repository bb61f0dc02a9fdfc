import type { ConsumeResult, CounterState, SessionLimits, Store, StoredSession } from "./store.js";

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

export interface MemoryStoreLimits {
  /** Most sessions kept; the least recently used go first. */
  maxSessions: number;
  /** Most artifact bytes kept; the least recently written scopes go first. */
  maxArtifactBytes: number;
}

const DEFAULT_LIMITS: MemoryStoreLimits = { maxSessions: 50_000, maxArtifactBytes: 512 * 1024 * 1024 };

/**
 * The embedded store for single-process setups: same semantics as Redis, nothing to install, and
 * bounded (unlike Redis it cannot grow past the process's memory, so old sessions and artifacts
 * are evicted past the limits).
 */
export class MemoryStore implements Store {
  readonly kind = "memory";
  private readonly counters = new Map<string, Expiring<number>>();
  private readonly sessions = new Map<string, Expiring<StoredSession>>();
  private readonly records = new Map<string, Expiring<string>>();
  private readonly maps = new Map<string, Map<string, string>>();
  private readonly artifacts = new Map<string, Expiring<Map<string, { meta: string; data: Uint8Array }>>>();
  private readonly sweeper: NodeJS.Timeout;
  private artifactBytes = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limits: MemoryStoreLimits = DEFAULT_LIMITS,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
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
    for (const map of [this.counters, this.sessions, this.records] as Map<string, Expiring<unknown>>[]) {
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
    for (const [scope, entry] of this.artifacts) if (entry.expiresAt <= now) this.dropArtifacts(scope);
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
    const existing = this.live(this.sessions, id);
    if (existing && existing.value.owner !== owner) return "forbidden" as const;
    const session = existing?.value ?? { owner, createdAt: now, updatedAt: now, entries: [] };
    session.entries.push(...entries);
    if (session.entries.length > limits.maxEntries)
      session.entries.splice(0, session.entries.length - limits.maxEntries);
    session.updatedAt = now;
    this.sessions.delete(id); // re-insert: Map order is then least recently used first
    this.sessions.set(id, { value: session, expiresAt: now + limits.ttlMs });
    while (this.sessions.size > this.limits.maxSessions) {
      this.sessions.delete(this.sessions.keys().next().value as string);
    }
    return "ok" as const;
  }

  async readSession(id: string) {
    const entry = this.live(this.sessions, id);
    return entry ? { ...entry.value, entries: [...entry.value.entries] } : undefined;
  }

  async deleteSession(id: string) {
    return this.sessions.delete(id);
  }

  async putIfAbsent(key: string, value: string, ttlMs: number) {
    if (this.live(this.records, key)) return false;
    this.records.set(key, { value, expiresAt: this.now() + ttlMs });
    return true;
  }

  async get(key: string) {
    return this.live(this.records, key)?.value;
  }

  async put(key: string, value: string, ttlMs: number) {
    this.records.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  async remove(key: string) {
    this.records.delete(key);
  }

  async putArtifact(scope: string, id: string, meta: string, data: Uint8Array, ttlMs: number) {
    const entry = this.scopeOf(scope) ?? { value: new Map(), expiresAt: 0 };
    this.artifactBytes += data.byteLength - (entry.value.get(id)?.data.byteLength ?? 0);
    entry.value.set(id, { meta, data });
    entry.expiresAt = this.now() + ttlMs;
    this.artifacts.delete(scope);
    this.artifacts.set(scope, entry);
    while (this.artifactBytes > this.limits.maxArtifactBytes && this.artifacts.size > 1) {
      this.dropArtifacts(this.artifacts.keys().next().value as string);
    }
  }

  /** A live artifact scope; an expired one is dropped with its bytes. */
  private scopeOf(scope: string) {
    const entry = this.artifacts.get(scope);
    if (entry && entry.expiresAt <= this.now()) {
      this.dropArtifacts(scope);
      return undefined;
    }
    return entry;
  }

  private dropArtifacts(scope: string) {
    for (const artifact of this.artifacts.get(scope)?.value.values() ?? [])
      this.artifactBytes -= artifact.data.byteLength;
    this.artifacts.delete(scope);
  }

  async getArtifact(scope: string, id: string) {
    return this.scopeOf(scope)?.value.get(id);
  }

  async listArtifacts(scope: string) {
    const entry = this.scopeOf(scope);
    return Object.fromEntries([...(entry?.value ?? [])].map(([id, a]) => [id, a.meta]));
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

  async ping() {}

  async ready(_timeoutMs: number) {}

  async close() {
    clearInterval(this.sweeper);
  }
}
