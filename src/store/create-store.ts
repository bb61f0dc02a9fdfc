import { IN_MEMORY, type StoreConfig, usesRedis } from "../config.js";
import { MemoryStore } from "./memory-store.js";
import { redisTarget } from "./redis-client.js";
import { RedisStore } from "./redis-store.js";
import { SqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

/**
 * Redis (Cluster when REDIS_CLUSTER_NODES is set, else REDIS_URL); otherwise the durable embedded
 * store in ORION_DATA_DIR, or the in-process one when that is `:memory:`.
 */
export function createStore(config: StoreConfig): Store {
  if (usesRedis(config)) {
    return new RedisStore({
      ...redisTarget(config),
      prefix: config.prefix,
      commandTimeoutMs: config.commandTimeoutMs,
    });
  }
  if (config.dataDir === IN_MEMORY) return new MemoryStore(Date.now, config.embedded);
  return new SqliteStore({
    dir: config.dataDir,
    busyTimeoutMs: config.commandTimeoutMs,
    maxSessions: config.embedded.maxSessions,
    maxSessionBytes: config.embedded.maxSessionBytes,
    maxArtifactBytes: config.embedded.maxArtifactBytes,
  });
}
