import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { StoreConfig } from "../config.js";

export type RedisClient = Redis | Cluster;

/** Where Redis is: a `redis://…` URL, or the `host:port` seeds of a Cluster (which win when set). */
export interface RedisTarget {
  url?: string;
  clusterNodes?: string[];
}

/** Where the configured store's Redis is (REDIS_URL, or REDIS_CLUSTER_NODES). */
export function redisTarget(store: StoreConfig): RedisTarget {
  return {
    ...(store.redisUrl !== undefined ? { url: store.redisUrl } : {}),
    clusterNodes: store.clusterNodes,
  };
}

/**
 * "fail-fast" never hangs a request: no offline queue (a command while disconnected fails at
 * once), a per-command timeout, no per-request retries. "blocking" is for BullMQ's long blocking
 * reads and lock renewals: commands wait through a reconnection instead (BullMQ requires it).
 * Both reconnect with capped backoff in the background and surface errors per command.
 */
export function connectRedis(
  target: RedisTarget,
  mode: "fail-fast" | "blocking",
  commandTimeoutMs = 250,
): RedisClient {
  const retryStrategy = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000);
  const base: RedisOptions =
    mode === "fail-fast"
      ? {
          enableOfflineQueue: false,
          // Commands issued in the same turn of the event loop (concurrent chats' quota checks,
          // session appends) leave in one write: fewer system calls under load.
          enableAutoPipelining: true,
          commandTimeout: commandTimeoutMs,
          maxRetriesPerRequest: 0,
          connectTimeout: 2_000,
          retryStrategy,
        }
      : { maxRetriesPerRequest: null, connectTimeout: 2_000, retryStrategy };
  let client: RedisClient;
  if (target.clusterNodes && target.clusterNodes.length > 0) {
    client = new Cluster(
      target.clusterNodes.map((node) => {
        const [host, port] = node.split(":");
        return { host: host || "127.0.0.1", port: Number(port) || 6379 };
      }),
      {
        enableOfflineQueue: mode === "blocking",
        enableAutoPipelining: mode === "fail-fast",
        redisOptions: base,
        clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
        slotsRefreshTimeout: 2_000,
      },
    );
  } else {
    client = new Redis(target.url ?? "redis://127.0.0.1:6379", base);
  }
  client.on("error", () => {}); // surfaced per command; reconnection runs in the background
  return client;
}

/** Resolves once connected (or the cluster is ready), or rejects after `timeoutMs`. */
export function redisReady(client: RedisClient, timeoutMs: number, onTimeout: () => Error): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), timeoutMs);
    client.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
