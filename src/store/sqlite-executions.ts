import { EventNotifier } from "./event-notifier.js";
import type {
  ExecutionLeases,
  ExecutionRecord,
  ExecutionStatusName,
  ExecutionStore,
  ExecutionStoreLimits,
  NewExecution,
  StoredEvent,
  TerminalStatus,
} from "./execution-store.js";
import type { SqliteAccess } from "./sqlite-store.js";

interface Row {
  id: string;
  owner: string;
  status: ExecutionStatusName;
  created_at: number;
  attempts: number;
  last_seq: number;
  execution: string;
  spec: string;
}

const COLUMNS = "id, owner, status, created_at, attempts, last_seq, execution, spec";
const OPEN = "status IN ('pending', 'running')";
const SWEEP_BATCH = 200;

function recordOf(row: Row): ExecutionRecord {
  return {
    id: row.id,
    owner: row.owner,
    status: row.status,
    createdAt: row.created_at,
    attempts: row.attempts,
    lastSequence: row.last_seq,
    execution: row.execution,
    spec: row.spec,
  };
}

/**
 * Executions in the durable embedded store's file (tables from sqlite-schema.ts), written through
 * the store's own write path (the turn's transaction), so they survive SIGKILL like everything
 * else there and every process on the machine sees them. A watcher in the process that appends
 * is woken at once; one in another process notices within `pollMs`.
 */
export class SqliteExecutions implements ExecutionStore, ExecutionLeases {
  private readonly q: ReturnType<typeof statements>;
  private readonly notifier = new EventNotifier();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly access: SqliteAccess,
    private readonly limits: ExecutionStoreLimits & { pollMs: number },
    private readonly now: () => number = Date.now,
  ) {
    this.q = statements(access);
    this.sweeper = setInterval(() => void this.sweep(), 60_000);
    this.sweeper.unref();
  }

  create(record: NewExecution, ttlMs: number): Promise<void> {
    return this.access.write(() => {
      this.q.insert.run(
        record.id,
        record.owner,
        record.createdAt,
        this.now() + ttlMs,
        record.execution,
        record.spec,
      );
    });
  }

  get(id: string): Promise<ExecutionRecord | undefined> {
    return this.access.read(() => {
      const row = this.q.get.get(id, this.now()) as Row | undefined;
      return row ? recordOf(row) : undefined;
    });
  }

  list(owner: string, skip: number, limit: number): Promise<ExecutionRecord[]> {
    return this.access.read(() => (this.q.list.all(owner, this.now(), limit, skip) as Row[]).map(recordOf));
  }

  start(id: string): Promise<ExecutionRecord | undefined> {
    return this.access.write(() => {
      const row = this.q.start.get(id, this.now()) as Row | undefined;
      return row ? recordOf(row) : undefined;
    });
  }

  async handBack(id: string): Promise<void> {
    await this.access.write(() => this.q.handBack.run(id));
  }

  async append(id: string, event: string): Promise<number> {
    const sequence = await this.access.write(() => {
      const row = this.q.bump.get(this.limits.maxEvents - 1, id, this.now()) as
        | { last_seq: number }
        | undefined;
      if (!row) return 0;
      this.q.event.run(id, row.last_seq, event);
      return row.last_seq;
    });
    if (sequence > 0) this.notifier.notify(id);
    return sequence;
  }

  async finish(id: string, status: TerminalStatus, execution: string, finalEvent: string): Promise<number> {
    const sequence = await this.access.write(() => {
      const row = this.q.finish.get(status, execution, id, this.now()) as { last_seq: number } | undefined;
      if (!row) return 0;
      this.q.event.run(id, row.last_seq, finalEvent);
      return row.last_seq;
    });
    if (sequence > 0) this.notifier.notify(id);
    return sequence;
  }

  events(id: string, after: number, limit: number): Promise<StoredEvent[]> {
    return this.access.read(() =>
      (this.q.events.all(id, after, limit) as { seq: number; event: string }[]).map((r) => ({
        sequence: r.seq,
        event: r.event,
      })),
    );
  }

  async waitForEvents(id: string, after: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const row = (await this.access.read(() => this.q.lastSeq.get(id))) as { last_seq: number } | undefined;
    if (!row || row.last_seq > after) return;
    await this.notifier.wait(id, Math.min(timeoutMs, this.limits.pollMs), signal);
  }

  claim(worker: string, leaseMs: number): Promise<string | undefined> {
    return this.access.write(() => {
      const now = this.now();
      const row = this.q.claim.get(worker, now + leaseMs, now, now) as { id: string } | undefined;
      return row?.id;
    });
  }

  renew(id: string, worker: string, leaseMs: number): Promise<boolean> {
    return this.access.write(() => this.q.renew.run(this.now() + leaseMs, id, worker).changes === 1);
  }

  async release(id: string, worker: string): Promise<void> {
    await this.access.write(() => this.q.release.run(id, worker));
  }

  /** Expired executions and their logs go, a batch at a time. */
  private async sweep(): Promise<void> {
    await this.access
      .write(() => {
        const ids = this.q.expired.all(this.now(), SWEEP_BATCH) as { id: string }[];
        for (const { id } of ids) {
          this.q.dropEvents.run(id);
          this.q.drop.run(id);
        }
      })
      .catch(() => {}); // the next sweep tries again
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}

function statements({ db }: SqliteAccess) {
  const s = (sql: string) => db.prepare(sql);
  return {
    insert: s(
      "INSERT INTO executions (id, owner, status, created_at, expires_at, attempts, last_seq, event_count, execution, spec) VALUES (?, ?, 'pending', ?, ?, 0, 0, 0, ?, ?)",
    ),
    get: s(`SELECT ${COLUMNS} FROM executions WHERE id = ? AND expires_at > ?`),
    list: s(
      `SELECT ${COLUMNS} FROM executions WHERE owner = ? AND expires_at > ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
    ),
    start: s(
      `UPDATE executions SET status = 'running', attempts = attempts + 1 WHERE id = ? AND expires_at > ? AND ${OPEN} RETURNING ${COLUMNS}`,
    ),
    handBack: s(
      "UPDATE executions SET status = 'pending', attempts = max(attempts - 1, 0) WHERE id = ? AND status = 'running'",
    ),
    bump: s(
      `UPDATE executions SET last_seq = last_seq + 1, event_count = event_count + 1 WHERE event_count < ? AND id = ? AND expires_at > ? AND ${OPEN} RETURNING last_seq`,
    ),
    finish: s(
      `UPDATE executions SET status = ?, execution = ?, last_seq = last_seq + 1, event_count = event_count + 1, lease_worker = NULL, lease_until = 0 WHERE id = ? AND expires_at > ? AND ${OPEN} RETURNING last_seq`,
    ),
    event: s("INSERT INTO execution_events (execution_id, seq, event) VALUES (?, ?, ?)"),
    events: s(
      "SELECT seq, event FROM execution_events WHERE execution_id = ? AND seq > ? ORDER BY seq LIMIT ?",
    ),
    lastSeq: s("SELECT last_seq FROM executions WHERE id = ?"),
    claim: s(
      `UPDATE executions SET lease_worker = ?, lease_until = ? WHERE id = (SELECT id FROM executions WHERE ${OPEN} AND lease_until <= ? AND expires_at > ? ORDER BY created_at LIMIT 1) RETURNING id`,
    ),
    renew: s(`UPDATE executions SET lease_until = ? WHERE id = ? AND lease_worker = ? AND ${OPEN}`),
    release: s(
      "UPDATE executions SET lease_worker = NULL, lease_until = 0 WHERE id = ? AND lease_worker = ?",
    ),
    expired: s("SELECT id FROM executions WHERE expires_at <= ? LIMIT ?"),
    dropEvents: s("DELETE FROM execution_events WHERE execution_id = ?"),
    drop: s("DELETE FROM executions WHERE id = ?"),
  };
}
