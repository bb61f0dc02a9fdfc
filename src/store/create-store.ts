import type { StoreConfig } from "../config.js";
import { MemoryStore } from "./memory-store.js";
import { RedisStore } from "./redis-store.js";
import type { Store } from "./store.js";

/** Redis (Cluster when REDIS_CLUSTER_NODES is set, else REDIS_URL); the embedded store otherwise. */
export function createStore(config: StoreConfig): Store {
  if (config.clusterNodes.length > 0 || config.redisUrl !== undefined) {
    return new RedisStore({
      ...(config.redisUrl !== undefined ? { url: config.redisUrl } : {}),
      clusterNodes: config.clusterNodes,
      prefix: config.prefix,
      commandTimeoutMs: config.commandTimeoutMs,
    });
  }
  return new MemoryStore();
}
