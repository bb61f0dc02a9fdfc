import type { Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { RedisClient } from "../store/redis-client.js";
import { presenceKey } from "./tool-jobs.js";

/** A worker beats this often; it counts as present until three beats are missed. */
export const BEAT_MS = 1_000;
const LAPSE_MS = 3 * BEAT_MS + 500;

/** Which tool workers are alive, per toolset, from heartbeats in Redis (no CLIENT LIST needed). */
export class WorkerPresence {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async beat(workerId: string, toolsets: readonly Toolset[]): Promise<void> {
    const now = Date.now();
    await Promise.all(
      toolsets.map(async (toolset) => {
        const key = presenceKey(this.prefix, toolset);
        await this.redis.zadd(key, now + LAPSE_MS, workerId);
        await this.redis.zremrangebyscore(key, "-inf", now);
      }),
    );
  }

  async leave(workerId: string, toolsets: readonly Toolset[]): Promise<void> {
    await Promise.all(toolsets.map((t) => this.redis.zrem(presenceKey(this.prefix, t), workerId)));
  }

  async count(toolsets: readonly Toolset[]): Promise<Map<Toolset, number>> {
    const now = Date.now();
    const counts = await Promise.all(
      toolsets.map((t) => this.redis.zcount(presenceKey(this.prefix, t), now, "+inf")),
    );
    return new Map(toolsets.map((t, i) => [t, counts[i] ?? 0]));
  }
}
