import { EventNotifier } from "./event-notifier.js";
import type {
  ExecutionRecord,
  ExecutionStatusName,
  ExecutionStore,
  ExecutionStoreLimits,
  NewExecution,
  StoredEvent,
  TerminalStatus,
} from "./execution-store.js";
import { connectRedis, type RedisClient, type RedisTarget, redisReady } from "./redis-client.js";
import { StoreUnavailable } from "./store.js";

// An execution is a hash (`…:meta`) and a stream (`…:events`) under one hash tag, so the scripts
// touch one slot on a Cluster. A stream entry's id is `<sequence>-0`: the sequence is the hash's
// counter, taken in the same script as the XADD, so it is never reused and Redis refuses any id
// not above the last. Each append publishes the execution id, which wakes watchers in every
// process; a watcher also re-reads every `pollMs` in case a notice was missed (pub/sub is
// at-most-once).

const OPEN_CHECK = `
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'pending' and status ~= 'running' then return 0 end`;

const PUSH = `
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('XADD', KEYS[2], seq .. '-0', 'e', ARGV[1])
if seq == 1 then redis.call('PEXPIREAT', KEYS[2], redis.call('HGET', KEYS[1], 'exp')) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return seq`;

/** KEYS meta, events; ARGV event, channel, id, max events. */
const APPEND = `${OPEN_CHECK}
if tonumber(redis.call('HGET', KEYS[1], 'count')) >= tonumber(ARGV[4]) then return 0 end
${PUSH}`;

/** KEYS meta, events; ARGV final event, channel, id, status, execution. */
const FINISH = `${OPEN_CHECK}
redis.call('HSET', KEYS[1], 'status', ARGV[4], 'execution', ARGV[5])
${PUSH}`;

/** KEYS meta. */
const START = `${OPEN_CHECK}
redis.call('HSET', KEYS[1], 'status', 'running')
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return 1`;

/** KEYS meta. */
const HAND_BACK = `
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'pending')
if tonumber(redis.call('HGET', KEYS[1], 'attempts')) > 0 then redis.call('HINCRBY', KEYS[1], 'attempts', -1) end
return 1`;

const FIELDS = ["id", "owner", "status", "created", "attempts", "seq", "execution", "spec"] as const;

interface Scripts {
  orionExecAppend(meta: string, events: string, ...args: (string | number)[]): Promise<number>;
  orionExecFinish(meta: string, events: string, ...args: (string | number)[]): Promise<number>;
  orionExecStart(meta: string): Promise<number>;
  orionExecHandBack(meta: string): Promise<number>;
}

function recordOf(values: (string | null)[]): ExecutionRecord | undefined {
  const [id, owner, status, created, attempts, seq, execution, spec] = values;
  if (id == null || owner == null || execution == null || spec == null) return undefined;
  return {
    id,
    owner,
    status: status as ExecutionStatusName,
    createdAt: Number(created),
    attempts: Number(attempts),
    lastSequence: Number(seq),
    execution,
    spec,
  };
}

export interface RedisExecutionsOptions extends ExecutionStoreLimits {
  target: RedisTarget;
  prefix: string;
  commandTimeoutMs: number;
  pollMs: number;
}

export class RedisExecutions implements ExecutionStore {
  private readonly client: RedisClient & Scripts;
  private subscriber: RedisClient | undefined;
  private readonly notifier = new EventNotifier();
  private readonly channel: string;

  constructor(private readonly options: RedisExecutionsOptions) {
    const client = connectRedis(options.target, "fail-fast", options.commandTimeoutMs);
    client.defineCommand("orionExecAppend", { numberOfKeys: 2, lua: APPEND });
    client.defineCommand("orionExecFinish", { numberOfKeys: 2, lua: FINISH });
    client.defineCommand("orionExecStart", { numberOfKeys: 1, lua: START });
    client.defineCommand("orionExecHandBack", { numberOfKeys: 1, lua: HAND_BACK });
    this.client = client as RedisClient & Scripts;
    this.channel = `${options.prefix}x:appended`;
  }

  /** Resolves once connected; rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void> {
    return redisReady(this.client, timeoutMs, () => new StoreUnavailable("not ready in time"));
  }

  private keys(id: string): [string, string] {
    return [`${this.options.prefix}{x:${id}}:meta`, `${this.options.prefix}{x:${id}}:events`];
  }

  private ownerKey(owner: string): string {
    return `${this.options.prefix}xo:${owner}`;
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
      throw new StoreUnavailable(error);
    }
  }

  create(record: NewExecution, ttlMs: number): Promise<void> {
    const [meta] = this.keys(record.id);
    const expiresAt = Date.now() + ttlMs;
    const owned = this.ownerKey(record.owner);
    return this.run(async () => {
      await this.client.hset(meta, {
        id: record.id,
        owner: record.owner,
        status: "pending",
        created: record.createdAt,
        attempts: 0,
        seq: 0,
        count: 0,
        exp: expiresAt,
        execution: record.execution,
        spec: record.spec,
      });
      await this.client.pexpireat(meta, expiresAt);
      // The owner's index (another slot on a Cluster: written on its own) drops what has expired.
      await this.client.zadd(owned, record.createdAt, record.id);
      await this.client.zremrangebyscore(owned, "-inf", `(${Date.now() - ttlMs}`);
      await this.client.pexpireat(owned, expiresAt);
    });
  }

  get(id: string): Promise<ExecutionRecord | undefined> {
    const [meta] = this.keys(id);
    return this.run(async () => recordOf(await this.client.hmget(meta, ...FIELDS)));
  }

  list(owner: string, skip: number, limit: number): Promise<ExecutionRecord[]> {
    return this.run(async () => {
      const ids = await this.client.zrevrange(this.ownerKey(owner), skip, skip + limit - 1);
      const records = await Promise.all(ids.map((id) => this.client.hmget(this.keys(id)[0], ...FIELDS)));
      const found: ExecutionRecord[] = [];
      for (const [i, values] of records.entries()) {
        const record = recordOf(values);
        if (record) found.push(record);
        else await this.client.zrem(this.ownerKey(owner), ids[i] as string);
      }
      return found;
    });
  }

  start(id: string): Promise<ExecutionRecord | undefined> {
    const [meta] = this.keys(id);
    return this.run(async () => {
      if ((await this.client.orionExecStart(meta)) !== 1) return undefined;
      return recordOf(await this.client.hmget(meta, ...FIELDS));
    });
  }

  handBack(id: string): Promise<void> {
    const [meta] = this.keys(id);
    return this.run(async () => {
      await this.client.orionExecHandBack(meta);
    });
  }

  append(id: string, event: string): Promise<number> {
    const [meta, events] = this.keys(id);
    return this.run(() =>
      this.client.orionExecAppend(meta, events, event, this.channel, id, this.options.maxEvents - 1),
    );
  }

  finish(id: string, status: TerminalStatus, execution: string, finalEvent: string): Promise<number> {
    const [meta, events] = this.keys(id);
    return this.run(() =>
      this.client.orionExecFinish(meta, events, finalEvent, this.channel, id, status, execution),
    );
  }

  events(id: string, after: number, limit: number): Promise<StoredEvent[]> {
    const [, events] = this.keys(id);
    return this.run(async () => {
      const entries = await this.client.xrange(events, `${after + 1}-0`, "+", "COUNT", limit);
      return entries.map(([entryId, fields]) => ({
        sequence: Number(entryId.split("-")[0]),
        event: fields[1] as string,
      }));
    });
  }

  async waitForEvents(id: string, after: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    this.subscribe();
    const waited = this.notifier.wait(id, Math.min(timeoutMs, this.options.pollMs), signal);
    // Checked after the waiter is in place, so an append between the two is not missed.
    const seq = await this.run(() => this.client.hget(this.keys(id)[0], "seq"));
    if (seq === null || Number(seq) > after) this.notifier.notify(id);
    await waited;
  }

  /** One subscriber per process, made on first use, for every watcher here. */
  private subscribe(): void {
    if (this.subscriber) return;
    const subscriber = connectRedis(this.options.target, "blocking");
    this.subscriber = subscriber;
    subscriber.on("message", (_channel: string, id: string) => this.notifier.notify(id));
    // Not awaited: until it is subscribed (or while Redis is away) the poll covers.
    subscriber.subscribe(this.channel).catch(() => {});
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.client.disconnect();
  }
}
