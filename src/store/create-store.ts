import { type StoreConfig, usesRedis } from "../config.js";
import { MemoryStore } from "./memory-store.js";
import { redisTarget } from "./redis-client.js";
import { RedisStore } from "./redis-store.js";
import type { Store } from "./store.js";

/** Redis (Cluster when REDIS_CLUSTER_NODES is set, else REDIS_URL); the embedded store otherwise. */
export function createStore(config: StoreConfig): Store {
  if (usesRedis(config)) {
    return new RedisStore({
      ...redisTarget(config),
      prefix: config.prefix,
      commandTimeoutMs: config.commandTimeoutMs,
    });
  }
  return new MemoryStore(Date.now, config.embedded);
}
