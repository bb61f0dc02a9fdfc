import type { FileStorage } from "./file-storage.js";
import { CONSUME, CONSUME_BOTH, PEEK, REFUND, SESSION_APPEND, SESSION_READ } from "./lua.js";
import { connectRedis, type RedisClient, redisReady } from "./redis-client.js";
import { RedisFiles } from "./redis-files.js";
import {
  type ConsumeResult,
  type CounterState,
  type SessionLimits,
  type Store,
  type StoredSession,
  StoreUnavailable,
} from "./store.js";

export interface RedisStoreOptions {
  /** `redis://…` for a standalone server. */
  url?: string;
  /** `host:port` seeds of a Redis Cluster. */
  clusterNodes?: string[];
  /** Prepended to every key, so several deployments (or test runs) can share one Redis. */
  prefix: string;
  /** Longest wait for one command; a down or hung store fails within this bound. */
  commandTimeoutMs: number;
}

interface Scripts {
  orionConsume(key: string, limit: number, expireAt: number): Promise<[number, number, number]>;
  orionConsumeBoth(
    key: string,
    also: string,
    limit: number,
    alsoLimit: number,
    expireAt: number,
  ): Promise<[number, number, number, number]>;
  orionRefund(keyCount: number, ...keys: string[]): Promise<number>;
  orionPeek(key: string): Promise<[number, number]>;
  orionSessionAppend(meta: string, log: string, ...args: (string | number)[]): Promise<number>;
  orionSessionRead(meta: string, log: string): Promise<[string, string, string, string[]] | null>;
}

/**
 * Redis through ioredis, standalone or Cluster. Settings that never hang a request: no offline
 * queue (a command while disconnected fails at once), a per-command timeout, no per-request
 * retries, reconnection with capped backoff in the background.
 */
export class RedisStore implements Store {
  readonly kind: "redis" | "redis-cluster";
  private readonly client: RedisClient & Scripts;
  private readonly prefix: string;
  private filesPort: RedisFiles | undefined;

  constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix;
    this.kind = options.clusterNodes && options.clusterNodes.length > 0 ? "redis-cluster" : "redis";
    const client = connectRedis(options, "fail-fast", options.commandTimeoutMs);
    client.defineCommand("orionConsume", { numberOfKeys: 1, lua: CONSUME });
    client.defineCommand("orionConsumeBoth", { numberOfKeys: 2, lua: CONSUME_BOTH });
    client.defineCommand("orionRefund", { lua: REFUND });
    client.defineCommand("orionPeek", { numberOfKeys: 1, lua: PEEK });
    client.defineCommand("orionSessionAppend", { numberOfKeys: 2, lua: SESSION_APPEND });
    client.defineCommand("orionSessionRead", { numberOfKeys: 2, lua: SESSION_READ });
    this.client = client as RedisClient & Scripts;
  }

  /** Resolves once connected (or the cluster is ready); for start-up and tests. */
  ready(timeoutMs: number): Promise<void> {
    return redisReady(this.client, timeoutMs, () => new StoreUnavailable("not ready in time"));
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
      throw new StoreUnavailable(error);
    }
  }

  private counterKey(key: string) {
    return `${this.prefix}c:${key}`;
  }

  /** Both keys of a session share a hash tag, so the scripts work on a Cluster. */
  private sessionKeys(id: string): [string, string] {
    return [`${this.prefix}{s:${id}}:meta`, `${this.prefix}{s:${id}}:log`];
  }

  consume(
    key: string,
    limit: number,
    expireAtMs: number,
    also?: { key: string; limit: number },
  ): Promise<ConsumeResult> {
    return this.run(async () => {
      if (!also) {
        const [allowed, count, pttl] = await this.client.orionConsume(
          this.counterKey(key),
          limit,
          expireAtMs,
        );
        return {
          allowed: allowed === 1,
          count,
          resetMs: Math.max(pttl, 0),
          ...(allowed ? {} : { refusedBy: "key" as const }),
        };
      }
      const [allowed, count, pttl, refusedBy] = await this.client.orionConsumeBoth(
        this.counterKey(key),
        this.counterKey(also.key),
        limit,
        also.limit,
        expireAtMs,
      );
      return {
        allowed: allowed === 1,
        count,
        resetMs: Math.max(pttl, 0),
        ...(refusedBy === 0 ? {} : { refusedBy: refusedBy === 1 ? ("key" as const) : ("also" as const) }),
      };
    });
  }

  refund(key: string, alsoKey?: string) {
    const keys = (alsoKey ? [key, alsoKey] : [key]).map((k) => this.counterKey(k));
    return this.run(async () => {
      await this.client.orionRefund(keys.length, ...keys);
    });
  }

  peek(key: string): Promise<CounterState> {
    return this.run(async () => {
      const [count, pttl] = await this.client.orionPeek(this.counterKey(key));
      return { count, resetMs: Math.max(pttl, 0) };
    });
  }

  appendSession(id: string, owner: string, entries: string[], limits: SessionLimits) {
    const [meta, log] = this.sessionKeys(id);
    return this.run(async () => {
      const result = await this.client.orionSessionAppend(
        meta,
        log,
        owner,
        Date.now(),
        limits.ttlMs,
        limits.maxEntries,
        limits.maxBytes,
        ...entries,
      );
      return result === 1 ? ("ok" as const) : ("forbidden" as const);
    });
  }

  readSession(id: string): Promise<StoredSession | undefined> {
    const [meta, log] = this.sessionKeys(id);
    return this.run(async () => {
      const found = await this.client.orionSessionRead(meta, log);
      if (!found) return undefined;
      const [owner, createdAt, updatedAt, entries] = found;
      return { owner, createdAt: Number(createdAt), updatedAt: Number(updatedAt), entries };
    });
  }

  deleteSession(id: string) {
    const [meta, log] = this.sessionKeys(id);
    return this.run(async () => (await this.client.del(meta, log)) > 0);
  }

  putIfAbsent(key: string, value: string, ttlMs: number) {
    return this.run(
      async () => (await this.client.set(`${this.prefix}r:${key}`, value, "PX", ttlMs, "NX")) === "OK",
    );
  }

  get(key: string) {
    return this.run(async () => (await this.client.get(`${this.prefix}r:${key}`)) ?? undefined);
  }

  put(key: string, value: string, ttlMs: number) {
    return this.run(async () => {
      await this.client.set(`${this.prefix}r:${key}`, value, "PX", ttlMs);
    });
  }

  remove(key: string) {
    return this.run(async () => {
      await this.client.del(`${this.prefix}r:${key}`);
    });
  }

  /** Index (id → meta) and blobs share a hash tag; the scope's keys expire together. */
  private artifactKeys(scope: string, id = ""): [string, string] {
    return [`${this.prefix}{a:${scope}}:index`, `${this.prefix}{a:${scope}}:blob:${id}`];
  }

  putArtifact(scope: string, id: string, meta: string, data: Uint8Array, ttlMs: number) {
    const [index, blob] = this.artifactKeys(scope, id);
    return this.run(async () => {
      await this.client
        .multi()
        .set(blob, Buffer.from(data.buffer, data.byteOffset, data.byteLength), "PX", ttlMs)
        .hset(index, id, meta)
        .pexpire(index, ttlMs)
        .exec();
    });
  }

  getArtifact(scope: string, id: string) {
    const [index, blob] = this.artifactKeys(scope, id);
    return this.run(async () => {
      const [meta, data] = await Promise.all([this.client.hget(index, id), this.client.getBuffer(blob)]);
      return meta === null || data === null ? undefined : { meta, data: new Uint8Array(data) };
    });
  }

  listArtifacts(scope: string) {
    return this.run(() => this.client.hgetall(this.artifactKeys(scope)[0]));
  }

  mapSet(map: string, field: string, value: string) {
    return this.run(async () => {
      await this.client.hset(`${this.prefix}m:${map}`, field, value);
    });
  }

  mapGet(map: string, field: string) {
    return this.run(async () => (await this.client.hget(`${this.prefix}m:${map}`, field)) ?? undefined);
  }

  mapEntries(map: string) {
    return this.run(() => this.client.hgetall(`${this.prefix}m:${map}`));
  }

  mapDelete(map: string, field: string) {
    return this.run(async () => (await this.client.hdel(`${this.prefix}m:${map}`, field)) > 0);
  }

  files(): FileStorage {
    this.filesPort ??= new RedisFiles(this.client, this.prefix);
    return this.filesPort;
  }

  ping() {
    return this.run(async () => {
      await this.client.ping();
    });
  }

  async close() {
    this.client.disconnect();
  }
}
