import type Database from "better-sqlite3";
import { StoreUnavailable } from "./store.js";

/** Why the durable store's writes fail: another process holds the lock, the disk is full, or else. */
export type StoreFault = "locked" | "full" | "failing";

/** What the durable store reports, for /metrics and one log line per fault (not one per request). */
export interface SqliteStoreEvents {
  /** A group commit: how many writes it carried and how long its transaction took. */
  batch(writes: number, seconds: number): void;
  /** Another connection held the write lock: the batch waits on a timer and tries again. */
  busyRetry(): void;
  /** Writes started failing for `fault`; reported once until they succeed again. */
  fault(fault: StoreFault, detail: string): void;
  recovered(fault: StoreFault): void;
  /** A housekeeping run ended (expired rows swept, bounds enforced, space handed back). */
  housekeeping(seconds: number): void;
  /** The background checkpoint thread failed: commits checkpoint the log themselves from now on. */
  checkpointsFailed(detail: string): void;
}

export const NO_EVENTS: SqliteStoreEvents = {
  batch() {},
  busyRetry() {},
  fault() {},
  recovered() {},
  housekeeping() {},
  checkpointsFailed() {},
};

interface Pending {
  op: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** performance.now() past which the write gives up waiting for the lock. */
  deadline: number;
  /** The bytes it writes, when large (a file's chunk): they bound how much one commit carries. */
  bytes: number;
}

export interface TransactionStatements {
  begin: Database.Statement;
  commit: Database.Statement;
  savepoint: Database.Statement;
  releaseSavepoint: Database.Statement;
  rollbackToSavepoint: Database.Statement;
}

const errorCode = (error: unknown) => String((error as { code?: unknown }).code ?? "");
/** SQLITE_BUSY and its extended codes: another connection has the lock; worth waiting for. */
export const isBusy = (error: unknown) => errorCode(error).startsWith("SQLITE_BUSY");
const isFull = (error: unknown) => errorCode(error) === "SQLITE_FULL";

/** Waits between tries for the write lock: 1, 2, 4, … ms up to 25, jittered so processes interleave. */
export function busyBackoffMs(attempt: number): number {
  const ceiling = Math.min(25, 2 ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

/**
 * Most bytes one commit carries: a commit is synchronous, so a hundred uploads each flushing a
 * 1 MiB chunk in the same turn would otherwise write 100 MiB while nothing else runs. The writes
 * past it wait for the next turn's commit.
 */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** At most one space probe a second while the disk is full. */
const PROBE_EVERY_MS = 1_000;

/**
 * The durable store's writes, group-committed: each write waits in a queue until the end of this
 * turn of the event loop, then the whole queue runs in one `BEGIN IMMEDIATE` transaction (each
 * write in its own savepoint, so a failing one undoes only itself) and commits, synchronously, in
 * one callback. So no read ever runs inside an open transaction: a read sees committed writes only
 * (never one that is later rolled back), and every write whose promise has resolved.
 *
 * The connection's busy timeout is 0: SQLite's own wait would block the event loop. When another
 * process holds the write lock, the queue waits on a timer (backoff) and tries again, and each
 * write fails with StoreUnavailable once it has waited `timeoutMs`. After SQLITE_FULL, writes are
 * refused at once (fail closed) until a space probe commits again.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private retry: NodeJS.Timeout | undefined;
  private attempts = 0;
  private readonly faults = new Set<StoreFault>();
  private lastProbe = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly q: TransactionStatements,
    private readonly timeoutMs: number,
    /** A write that needs free pages, undone before commit: it commits only if there is room again. */
    private readonly spaceProbe: () => void,
    public events: SqliteStoreEvents = NO_EVENTS,
  ) {}

  get full(): boolean {
    return this.faults.has("full");
  }

  /**
   * Queues `op` for this turn's commit; resolves with what it returned once that commit is done.
   * `maintenance` writes (housekeeping, which frees space) are not refused while the disk is full.
   */
  submit<T>(op: () => T, maintenance = false, bytes = 0): Promise<T> {
    if (this.full && !maintenance) {
      this.probeSpace().catch(() => {}); // still full: this write is refused either way
      return Promise.reject(new StoreUnavailable(new Error("the disk is full (SQLITE_FULL)")));
    }
    return new Promise<T>((resolve, reject) => {
      const deadline = performance.now() + this.timeoutMs;
      this.queue.push({ op, resolve: resolve as (value: unknown) => void, reject, deadline, bytes });
      this.schedule();
    });
  }

  /** Flushes at the end of this turn (once, however many writes are queued). */
  private schedule(): void {
    if (this.scheduled || this.retry) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Tries the space probe (at most once a second): its commit ends the "full" state. */
  probeSpace(): Promise<void> {
    if (performance.now() - this.lastProbe < PROBE_EVERY_MS) {
      return Promise.reject(new StoreUnavailable(new Error("the disk is full (SQLITE_FULL)")));
    }
    this.lastProbe = performance.now();
    return this.submit(this.spaceProbe, true).then(() => this.clear("full"));
  }

  /** Runs the queue now: one transaction, or a retry on a timer if another process has the lock. */
  flush(): void {
    if (this.queue.length === 0) return;
    try {
      this.q.begin.run();
    } catch (error) {
      if (isBusy(error)) this.waitForLock(error);
      else this.fail(this.take(), error);
      return;
    }
    this.attempts = 0;
    this.clear("locked");
    const batch = this.takeUpTo(MAX_BATCH_BYTES);
    if (this.queue.length > 0) this.schedule();
    const started = performance.now();
    let outcomes: Outcome[] | undefined;
    try {
      outcomes =
        batch.length === 1 ? this.runAlone(batch[0] as Pending) : batch.map((w) => this.inSavepoint(w));
      if (!outcomes) return;
      this.q.commit.run();
    } catch (error) {
      // The commit failed, or SQLite rolled the whole transaction back under a write (it may, on
      // SQLITE_FULL or an I/O error): none of the batch is kept, so none is reported done.
      this.rollback();
      this.fail(batch, error);
      return;
    }
    this.events.batch(batch.length, (performance.now() - started) / 1e3);
    if (!outcomes.some((o) => o.failed)) this.clear("failing");
    batch.forEach((write, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.failed) write.reject(this.unavailable(outcome.value));
      else write.resolve(outcome.value);
    });
  }

  /** Commits everything queued now, batch after batch (the store is closing); stops if the lock is taken. */
  drain(): void {
    while (this.queue.length > 0 && !this.retry) {
      const before = this.queue.length;
      this.flush();
      if (this.queue.length >= before) return;
    }
  }

  /** Gives up on everything queued (the store is closing). */
  abandon(reason: string): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    for (const write of this.take()) write.reject(new StoreUnavailable(new Error(reason)));
  }

  /** Undoes the open transaction, if any; never throws (this runs from a timer callback). */
  private rollback(): void {
    try {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
    } catch {
      // The connection is closed or failing: SQLite undoes an unfinished transaction itself.
    }
  }

  /** The writes at the head of the queue up to `maxBytes` (always at least one). */
  private takeUpTo(maxBytes: number): Pending[] {
    let n = 0;
    let bytes = 0;
    for (const write of this.queue) {
      if (n > 0 && bytes + write.bytes > maxBytes) break;
      bytes += write.bytes;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private take(): Pending[] {
    const batch = this.queue;
    this.queue = [];
    return batch;
  }

  /**
   * One write alone in its transaction needs no savepoint: if it fails, the transaction is rolled
   * back and it is rejected (undefined: nothing to commit).
   */
  private runAlone(write: Pending): Outcome[] | undefined {
    try {
      return [{ failed: false, value: write.op() }];
    } catch (error) {
      this.rollback();
      write.reject(this.unavailable(error));
      return undefined;
    }
  }

  private inSavepoint(write: Pending): Outcome {
    this.q.savepoint.run();
    try {
      const value = write.op();
      this.q.releaseSavepoint.run();
      return { failed: false, value };
    } catch (error) {
      if (!this.db.inTransaction) throw error; // SQLite undid the whole transaction: the batch fails
      this.q.rollbackToSavepoint.run();
      this.q.releaseSavepoint.run();
      return { failed: true, value: error };
    }
  }

  private waitForLock(error: unknown): void {
    this.events.busyRetry();
    const now = performance.now();
    const expired = this.queue.filter((w) => w.deadline <= now);
    if (expired.length > 0) {
      this.queue = this.queue.filter((w) => w.deadline > now);
      this.report("locked", `another process has held the store's write lock for ${this.timeoutMs} ms`);
      for (const write of expired) write.reject(new StoreUnavailable(error));
    }
    if (this.queue.length === 0) return;
    this.retry = setTimeout(
      () => {
        this.retry = undefined;
        this.flush();
      },
      busyBackoffMs(this.attempts++),
    );
  }

  private fail(batch: Pending[], error: unknown): void {
    const unavailable = this.unavailable(error);
    for (const write of batch) write.reject(unavailable);
  }

  /** A write's failure as the store reports it; SQLite's own errors also start a fault episode. */
  private unavailable(error: unknown): unknown {
    if (isFull(error))
      this.report("full", "the disk is full (SQLITE_FULL): writes answer 503 until space returns");
    else if (errorCode(error).startsWith("SQLITE_")) this.report("failing", (error as Error).message);
    return error instanceof StoreUnavailable ? error : new StoreUnavailable(error);
  }

  private report(fault: StoreFault, detail: string): void {
    if (this.faults.has(fault)) return;
    this.faults.add(fault);
    this.events.fault(fault, detail);
  }

  private clear(fault: StoreFault): void {
    if (this.faults.delete(fault)) this.events.recovered(fault);
  }
}

interface Outcome {
  failed: boolean;
  value: unknown;
}
