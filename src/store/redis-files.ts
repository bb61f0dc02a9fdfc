import { type CommitResult, type FileStorage, fileJson, parseFile, type StoredFile } from "./file-storage.js";
import type { RedisClient } from "./redis-client.js";
import { StoreUnavailable } from "./store.js";

/**
 * One script for every operation on an owner's file index, so each is one atomic round trip.
 * KEYS meta (hash id → JSON), order (zset id by created_at), md5 (hash md5 → id), expiry (zset id
 * by expires_at), bytes (the live files' total) — all under the owner's hash tag. ARGV op, now, …
 * Expired files are forgotten first, whatever the operation.
 */
const FILE_INDEX = `
local op, now = ARGV[1], tonumber(ARGV[2])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do
  local meta = redis.call('HGET', KEYS[1], id)
  if meta then
    local file = cjson.decode(meta)
    if redis.call('HGET', KEYS[3], file.md5) == id then redis.call('HDEL', KEYS[3], file.md5) end
    redis.call('HDEL', KEYS[1], id)
    redis.call('DECRBY', KEYS[5], file.bytes)
  end
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[4], id)
end
if op == 'commit' then
  local id, md5, bytes, created, expires, json, max = ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9])
  local same = redis.call('HGET', KEYS[3], md5)
  if same then
    local meta = redis.call('HGET', KEYS[1], same)
    if meta then return {'duplicate', meta} end
  end
  local used = tonumber(redis.call('GET', KEYS[5]) or '0')
  if used + bytes > max then return {'over_quota', tostring(used)} end
  redis.call('HSET', KEYS[1], id, json)
  redis.call('HSET', KEYS[3], md5, id)
  redis.call('ZADD', KEYS[2], created, id)
  redis.call('ZADD', KEYS[4], expires, id)
  redis.call('INCRBY', KEYS[5], bytes)
  local last = redis.call('ZRANGE', KEYS[4], -1, -1, 'WITHSCORES')[2]
  for i = 1, 5 do redis.call('PEXPIREAT', KEYS[i], last) end
  return {'created', json}
elseif op == 'get' then
  return redis.call('HGET', KEYS[1], ARGV[3])
elseif op == 'md5' then
  local id = redis.call('HGET', KEYS[3], ARGV[3])
  if not id then return false end
  return redis.call('HGET', KEYS[1], id)
elseif op == 'list' then
  if tonumber(ARGV[4]) < 1 then return {} end
  local ids = redis.call('ZREVRANGE', KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[3]) + tonumber(ARGV[4]) - 1)
  if #ids == 0 then return {} end
  return redis.call('HMGET', KEYS[1], unpack(ids))
elseif op == 'remove' then
  local id = ARGV[3]
  local meta = redis.call('HGET', KEYS[1], id)
  if not meta then return false end
  local file = cjson.decode(meta)
  if redis.call('HGET', KEYS[3], file.md5) == id then redis.call('HDEL', KEYS[3], file.md5) end
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[4], id)
  redis.call('DECRBY', KEYS[5], file.bytes)
  return meta
elseif op == 'used' then
  return redis.call('GET', KEYS[5]) or '0'
end
return redis.error_reply('unknown file index operation ' .. op)`;

interface FileIndexScript {
  orionFileIndex(...args: (string | number)[]): Promise<unknown>;
}

/** Chunks deleted per command. */
const DROP_BATCH = 64;

/**
 * Files on Redis (standalone or Cluster): an owner's index keys share the owner's hash tag (one
 * script per operation); a file's chunks share the file's own tag (`{f:<id>}`), so a file's
 * content lives on one node and different files spread over the cluster. Each chunk expires with
 * the file.
 */
export class RedisFiles implements FileStorage {
  private readonly client: RedisClient & FileIndexScript;

  constructor(
    client: RedisClient,
    private readonly prefix: string,
  ) {
    client.defineCommand("orionFileIndex", { numberOfKeys: 5, lua: FILE_INDEX });
    this.client = client as RedisClient & FileIndexScript;
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
      throw new StoreUnavailable(error);
    }
  }

  private chunkKey(fileId: string, index: number) {
    return `${this.prefix}{f:${fileId}}:${index}`;
  }

  private index(owner: string, op: string, ...args: (string | number)[]) {
    const tag = `${this.prefix}{fo:${owner}}`;
    const keys = ["meta", "order", "md5", "expiry", "bytes"].map((name) => `${tag}:${name}`);
    return this.client.orionFileIndex(...keys, op, Date.now(), ...args);
  }

  putChunk(fileId: string, index: number, data: Uint8Array, expiresAt: number) {
    const value = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return this.run(async () => {
      await this.client.set(this.chunkKey(fileId, index), value, "PXAT", expiresAt);
    });
  }

  getChunk(fileId: string, index: number) {
    return this.run(async () => (await this.client.getBuffer(this.chunkKey(fileId, index))) ?? undefined);
  }

  dropChunks(fileId: string, from: number, to: number) {
    return this.run(async () => {
      for (let start = from; start < to; start += DROP_BATCH) {
        const keys: string[] = [];
        for (let i = start; i < Math.min(to, start + DROP_BATCH); i++) keys.push(this.chunkKey(fileId, i));
        await this.client.del(...keys);
      }
    });
  }

  commit(file: StoredFile, maxOwnerBytes: number): Promise<CommitResult> {
    return this.run(async () => {
      const [outcome, value] = (await this.index(
        file.owner,
        "commit",
        file.id,
        file.md5,
        file.bytes,
        file.createdAt,
        file.expiresAt,
        fileJson(file),
        maxOwnerBytes,
      )) as [string, string];
      if (outcome === "over_quota") return { outcome, usedBytes: Number(value) };
      return { outcome: outcome === "duplicate" ? "duplicate" : "created", file: parseFile(value) };
    });
  }

  get(owner: string, id: string) {
    return this.run(async () => {
      const meta = (await this.index(owner, "get", id)) as string | null;
      return meta === null ? undefined : parseFile(meta);
    });
  }

  findByMd5(owner: string, md5: string) {
    return this.run(async () => {
      const meta = (await this.index(owner, "md5", md5)) as string | null;
      return meta === null ? undefined : parseFile(meta);
    });
  }

  list(owner: string, skip: number, limit: number) {
    return this.run(async () => {
      const metas = (await this.index(owner, "list", skip, limit)) as (string | null)[];
      return metas.filter((m): m is string => m !== null).map(parseFile);
    });
  }

  remove(owner: string, id: string) {
    return this.run(async () => {
      const meta = (await this.index(owner, "remove", id)) as string | null;
      return meta === null ? undefined : parseFile(meta);
    });
  }

  usedBytes(owner: string) {
    return this.run(async () => Number(await this.index(owner, "used")));
  }
}
