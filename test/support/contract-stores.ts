import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { MemoryStore } from "../../src/store/memory-store.js";
import { RedisStore } from "../../src/store/redis-store.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { type PrivateCluster, type PrivateRedis, startRedis, startRedisCluster } from "./redis.js";

export const STORE_KINDS = ["memory", "sqlite", "redis", "redis-cluster"] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/**
 * One store of every kind for a contract suite: in-process, the durable SQLite file in a fresh
 * directory, a private Redis and a private 3-node Cluster (keys under `prefix`). Opened before the
 * suite's tests and closed after them; `storeOf(kind)` reads the one of that kind.
 */
export function contractStores(prefix: string, commandTimeoutMs: number): (kind: StoreKind) => Store {
  let redis: PrivateRedis;
  let cluster: PrivateCluster;
  const stores: Partial<Record<StoreKind, Store>> = {};

  beforeAll(async () => {
    [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
    const standalone = new RedisStore({ url: redis.url, prefix, commandTimeoutMs });
    const clustered = new RedisStore({ clusterNodes: cluster.nodes, prefix, commandTimeoutMs });
    await Promise.all([standalone.ready(5_000), clustered.ready(5_000)]);
    stores.memory = new MemoryStore();
    stores.sqlite = new SqliteStore({
      dir: mkdtempSync(join(tmpdir(), `orion-${prefix.replace(/\W/g, "")}-`)),
      busyTimeoutMs: 1_000,
      maxSessions: 50_000,
      maxSessionBytes: 256 * 1024 * 1024,
      maxArtifactBytes: 512 * 1024 * 1024,
    });
    stores.redis = standalone;
    stores["redis-cluster"] = clustered;
  }, 60_000);

  afterAll(async () => {
    for (const store of Object.values(stores)) await store.close();
    await Promise.all([redis?.stop(), cluster?.stop()]);
  });

  return (kind) => stores[kind] as Store;
}
