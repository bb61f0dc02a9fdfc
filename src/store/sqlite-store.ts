import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { FileStorage } from "./file-storage.js";
import { BackgroundCheckpoints, type CheckpointOptions, DEFAULT_CHECKPOINTS } from "./sqlite-checkpoints.js";
import { SqliteFiles } from "./sqlite-files.js";
import { migrate, SchemaTooNew } from "./sqlite-schema.js";
import { busyBackoffMs, GroupCommit, isBusy, type SqliteStoreEvents } from "./sqlite-writes.js";
import type { ConsumeResult, CounterState, SessionLimits, Store, StoredSession } from "./store.js";
import { oldestToDrop, StoreOpenError, StoreUnavailable } from "./store.js";

export interface SqliteStoreOptions {
  /** The data directory; the store is `orion.db` in it (plus SQLite's `-wal` and `-shm` files). */
  dir: string;
  /**
   * Longest wait for another process's lock before a command fails (503). Waited on a timer,
   * never inside SQLite (whose busy timeout would block the event loop).
   */
  busyTimeoutMs: number;
  maxSessions: number;
  /** Most bytes of session messages kept over all sessions; the least recently written go first. */
  maxSessionBytes: number;
  maxArtifactBytes: number;
  /** How often expired rows are swept and the bounds enforced. */
  housekeepingMs?: number;
  /** The write-ahead log's checkpoints, run on a thread of their own (sqlite-checkpoints.ts). */
  checkpoints?: CheckpointOptions;
}

const HOUSEKEEPING_BATCH = 500;

export interface SqliteAccess {
  db: Database.Database;
  read<T>(op: () => T): Promise<T>;
  write<T>(op: () => T): Promise<T>;
}

/**
 * The durable embedded store: one SQLite file in the data directory, shared by every server
 * process on the machine. WAL with `synchronous=NORMAL`: a committed write is in the log, so it
 * survives the process being killed (an OS crash may lose the last moments, never half a write).
 * The writes issued in one turn of the event loop share one `BEGIN IMMEDIATE` transaction (each
 * in its own savepoint) run and committed at the end of the turn (GroupCommit), and none is
 * reported done before that commit; the write lock makes counters exact across processes.
 *
 * What a read sees: every write whose promise has resolved (read-your-writes), in this process or
 * another; never a write still queued (issued in this turn, not yet committed), so never one that
 * is then rolled back. Expired rows and the bounds are handled in small batches off the request path.
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  readonly file: string;
  private readonly db: Database.Database;
  private readonly q: ReturnType<typeof statements>;
  private readonly housekeeper: NodeJS.Timeout;
  private sweeping = false;
  private readonly writes: GroupCommit;
  private filesPort: SqliteFiles | undefined;
  private readonly checkpoints: BackgroundCheckpoints;

  constructor(
    private readonly options: SqliteStoreOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.file = path.join(options.dir, "orion.db");
    usableDir(options.dir);
    this.db = openChecked(this.file, options.busyTimeoutMs);
    this.q = statements(this.db);
    const spaceProbe = () => {
      this.q.spaceProbe.run();
      this.q.spaceProbeUndo.run();
    };
    this.writes = new GroupCommit(this.db, this.q, options.busyTimeoutMs, spaceProbe);
    const checkpoints = options.checkpoints ?? DEFAULT_CHECKPOINTS;
    this.db.pragma(`wal_autocheckpoint = ${checkpoints.fallbackFrames}`);
    this.checkpoints = new BackgroundCheckpoints(
      this.file,
      (error) => {
        if (this.db.open) this.db.pragma("wal_autocheckpoint = 1000");
        this.writes.events.checkpointsFailed(error.message);
      },
      checkpoints,
    );
    this.housekeeper = setInterval(() => void this.housekeeping(), options.housekeepingMs ?? 60_000);
    this.housekeeper.unref();
  }

  /** Reports batches, lock waits and faults to `events` (metrics and the log). */
  observe(events: SqliteStoreEvents): void {
    this.writes.events = events;
  }

  /** Bytes the store takes on disk now: the file and its write-ahead log. */
  fileBytes(): number {
    const size = (file: string) => statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    return size(this.file) + size(`${this.file}-wal`);
  }

  /**
   * A read, on committed data only; any SQLite failure is StoreUnavailable. A read that finds the
   * file busy (another process recovering or checkpointing it) tries again on a timer.
   */
  private one<T>(op: () => T): Promise<T> {
    try {
      return Promise.resolve(op());
    } catch (error) {
      if (isBusy(error)) return this.readLater(op, performance.now() + this.options.busyTimeoutMs, 0);
      return Promise.reject(new StoreUnavailable(error));
    }
  }

  private readLater<T>(op: () => T, deadline: number, attempt: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      setTimeout(() => {
        try {
          resolve(op());
        } catch (error) {
          if (isBusy(error) && performance.now() < deadline)
            resolve(this.readLater(op, deadline, attempt + 1));
          else reject(new StoreUnavailable(error));
        }
      }, busyBackoffMs(attempt));
    });
  }

  /**
   * Runs `op` in this turn's write transaction, resolving once that has committed (GroupCommit).
   * `maintenance` writes (housekeeping) still run when the disk is full, since they free space.
   */
  private write<T>(op: () => T, maintenance = false): Promise<T> {
    return this.writes.submit(op, maintenance);
  }

  private liveCount(key: string, now: number): { count: number; expires_at: number } | undefined {
    const row = this.q.counterGet.get(key) as { count: number; expires_at: number } | undefined;
    return row && row.expires_at > now ? row : undefined;
  }

  /** One more on a counter; a live one keeps its expiry, so only its count (not its index) is written. */
  private bump(key: string, live: { count: number; expires_at: number } | undefined, expireAtMs: number) {
    if (live) {
      this.q.counterCount.run(live.count + 1, key);
      return { count: live.count + 1, expires_at: live.expires_at };
    }
    this.q.counterSet.run(key, 1, expireAtMs);
    return { count: 1, expires_at: expireAtMs };
  }

  consume(
    key: string,
    limit: number,
    expireAtMs: number,
    also?: { key: string; limit: number },
  ): Promise<ConsumeResult> {
    return this.write(() => {
      const now = this.now();
      const live = this.liveCount(key, now);
      const count = live?.count ?? 0;
      const resetMs = live ? live.expires_at - now : 0;
      if (count + 1 > limit) return { allowed: false, count, resetMs, refusedBy: "key" as const };
      const other = also ? this.liveCount(also.key, now) : undefined;
      if (also && (other?.count ?? 0) + 1 > also.limit) {
        return { allowed: false, count, resetMs, refusedBy: "also" as const };
      }
      const next = this.bump(key, live, expireAtMs);
      if (also) this.bump(also.key, other, expireAtMs);
      return { allowed: true, count: next.count, resetMs: next.expires_at - now };
    });
  }

  refund(key: string, alsoKey?: string): Promise<void> {
    return this.write(() => {
      const now = this.now();
      for (const k of alsoKey ? [key, alsoKey] : [key]) this.q.counterRefund.run(k, now);
    });
  }

  peek(key: string): Promise<CounterState> {
    return this.one(() => {
      const now = this.now();
      const live = this.liveCount(key, now);
      return live ? { count: live.count, resetMs: live.expires_at - now } : { count: 0, resetMs: 0 };
    });
  }

  appendSession(id: string, owner: string, entries: string[], limits: SessionLimits) {
    return this.write(() => {
      const now = this.now();
      const existing = this.q.sessionGet.get(id) as SessionRow | undefined;
      const live = existing && existing.expires_at > now ? existing : undefined;
      if (live && live.owner !== owner) return "forbidden" as const;
      if (existing && !live) this.dropSession(id);
      let { next_seq: seq, count, bytes } = live ?? { next_seq: 0, count: 0, bytes: 0 };
      for (const entry of entries) {
        const size = Buffer.byteLength(entry, "utf8");
        this.q.entryInsert.run(id, ++seq, entry, size);
        count++;
        bytes += size;
      }
      if (count > limits.maxEntries || bytes > limits.maxBytes)
        ({ count, bytes } = this.trimSession(id, limits));
      const expiresAt = now + limits.ttlMs;
      if (live) this.q.sessionUpdate.run(now, expiresAt, seq, count, bytes, id);
      else this.createSession(id, owner, now, expiresAt, seq, count, bytes);
      this.boundSessionBytes(id, bytes - (live?.bytes ?? 0));
      return "ok" as const;
    });
  }

  /** Drops the oldest entries beyond either limit; what is left, counted. */
  private trimSession(id: string, limits: SessionLimits): { count: number; bytes: number } {
    const sizes = this.q.entrySizes.all(id) as { seq: number; bytes: number }[];
    const bytesEach = sizes.map((size) => size.bytes);
    const total = bytesEach.reduce((sum, b) => sum + b, 0);
    const { drop, bytes } = oldestToDrop(bytesEach, total, limits);
    if (drop > 0) this.q.entriesDropBefore.run(id, (sizes[drop - 1] as { seq: number }).seq);
    return { count: sizes.length - drop, bytes };
  }

  /** A new session; past ORION_EMBEDDED_MAX_SESSIONS the least recently written go at once. */
  private createSession(id: string, owner: string, now: number, ...state: [number, number, number, number]) {
    this.q.sessionInsert.run(id, owner, now, now, ...state);
    const { value } = this.q.sessionsCounted.get(1) as { value: number };
    if (value > this.options.maxSessions) {
      this.dropEach(this.q.sessionsOldest.all(id, value - this.options.maxSessions) as { id: string }[]);
    }
  }

  /**
   * Counts `delta` more session bytes; past ORION_EMBEDDED_MAX_SESSION_BYTES the least recently
   * written other sessions go, so a caller cannot fill the disk through sessions.
   */
  private boundSessionBytes(current: string, delta: number) {
    let { value: total } = this.q.sessionBytesCounted.get(delta) as { value: number };
    while (total > this.options.maxSessionBytes) {
      const oldest = this.q.sessionsOldest.all(current, 64) as { id: string }[];
      if (oldest.length === 0) return;
      for (const { id } of oldest) {
        total -= this.dropSession(id);
        if (total <= this.options.maxSessionBytes) return;
      }
    }
  }

  /** Deletes a session and its entries, keeping the counts; the bytes it held (0 if none). */
  private dropSession(id: string): number {
    this.q.entriesDropAll.run(id);
    const dropped = this.q.sessionDelete.get(id) as { bytes: number } | undefined;
    if (!dropped) return 0;
    this.q.sessionsCounted.get(-1);
    this.q.sessionBytesCounted.get(-dropped.bytes);
    return dropped.bytes;
  }

  readSession(id: string): Promise<StoredSession | undefined> {
    return this.one(() => {
      // One statement, so one snapshot: the session and its entries as one commit left them.
      const rows = this.q.sessionWithEntries.all(id) as (SessionRow & { entry: string | null })[];
      const row = rows[0];
      if (!row || row.expires_at <= this.now()) return undefined;
      const entries = row.entry === null ? [] : rows.map((r) => r.entry as string);
      return { owner: row.owner, createdAt: row.created_at, updatedAt: row.updated_at, entries };
    });
  }

  deleteSession(id: string): Promise<boolean> {
    return this.write(() => {
      const row = this.q.sessionGet.get(id) as { expires_at: number } | undefined;
      this.dropSession(id);
      return row !== undefined && row.expires_at > this.now();
    });
  }

  putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.write(() => {
      const now = this.now();
      const row = this.q.recordGet.get(key) as { expires_at: number } | undefined;
      if (row && row.expires_at > now) return false;
      this.q.recordSet.run(key, value, now + ttlMs);
      return true;
    });
  }

  get(key: string): Promise<string | undefined> {
    return this.one(() => {
      const row = this.q.recordGet.get(key) as { value: string; expires_at: number } | undefined;
      return row && row.expires_at > this.now() ? row.value : undefined;
    });
  }

  put(key: string, value: string, ttlMs: number): Promise<void> {
    return this.write(() => {
      this.q.recordSet.run(key, value, this.now() + ttlMs);
    });
  }

  remove(key: string): Promise<void> {
    return this.write(() => {
      this.q.recordDelete.run(key);
    });
  }

  putArtifact(scope: string, id: string, meta: string, data: Uint8Array, ttlMs: number): Promise<void> {
    return this.write(() => {
      const now = this.now();
      const existing = this.q.scopeGet.get(scope) as { expires_at: number } | undefined;
      if (existing && existing.expires_at <= now) this.dropScope(scope);
      this.q.artifactSet.run(scope, id, meta, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      const { bytes } = this.q.scopeBytes.get(scope) as { bytes: number };
      this.q.scopeSet.run(scope, now + ttlMs, now, bytes);
    });
  }

  private dropScope(scope: string) {
    this.q.artifactsDropScope.run(scope);
    this.q.scopeDelete.run(scope);
  }

  getArtifact(scope: string, id: string) {
    return this.one(() => {
      // A Buffer is a Uint8Array already: handed over as it came, not copied.
      return this.q.artifactGet.get(scope, id, this.now()) as { meta: string; data: Buffer } | undefined;
    });
  }

  listArtifacts(scope: string): Promise<Record<string, string>> {
    return this.one(() => {
      const rows = this.q.artifactList.all(scope, this.now()) as { id: string; meta: string }[];
      return Object.fromEntries(rows.map((r) => [r.id, r.meta]));
    });
  }

  mapSet(map: string, field: string, value: string): Promise<void> {
    return this.write(() => {
      this.q.mapSet.run(map, field, value);
    });
  }

  mapGet(map: string, field: string): Promise<string | undefined> {
    return this.one(() => (this.q.mapGet.get(map, field) as { value: string } | undefined)?.value);
  }

  mapEntries(map: string): Promise<Record<string, string>> {
    return this.one(() => {
      const rows = this.q.mapEntries.all(map) as { field: string; value: string }[];
      return Object.fromEntries(rows.map((r) => [r.field, r.value]));
    });
  }

  mapDelete(map: string, field: string): Promise<boolean> {
    return this.write(() => this.q.mapDelete.run(map, field).changes > 0);
  }

  /**
   * A write, not a read: readiness must fail when the store can no longer take writes. While the
   * disk is full, the write is the space probe, whose commit ends that state.
   */
  ping(): Promise<void> {
    if (this.writes.full) return this.writes.probeSpace();
    return this.write(() => {
      this.q.heartbeat.run(this.now());
    });
  }

  async ready(_timeoutMs: number): Promise<void> {}

  /**
   * Deletes what has expired and what is past the bounds, a batch per turn of the event loop so
   * requests interleave; then hands freed pages back to the file system.
   */
  async housekeeping(): Promise<void> {
    if (this.sweeping || !this.db.open) return;
    this.sweeping = true;
    const started = performance.now();
    try {
      const now = this.now();
      const batches: (() => number)[] = [
        () => this.q.countersExpire.run(now, HOUSEKEEPING_BATCH).changes,
        () => this.q.recordsExpire.run(now, HOUSEKEEPING_BATCH).changes,
        () => this.dropEach(this.q.sessionsExpired.all(now, HOUSEKEEPING_BATCH) as { id: string }[]),
        () => this.dropScopes(this.q.scopesExpired.all(now, HOUSEKEEPING_BATCH) as { scope: string }[]),
        () => this.evictScopes(),
      ];
      for (const batch of batches) {
        while (this.db.open && (await this.write(batch, true)) >= HOUSEKEEPING_BATCH) {}
      }
      await this.write(() => this.db.pragma("incremental_vacuum(2000)"), true);
      this.writes.events.housekeeping((performance.now() - started) / 1e3);
    } catch {
      // A busy or failing store is retried at the next round; requests report their own failures.
    } finally {
      this.sweeping = false;
    }
  }

  private dropEach(rows: { id: string }[]): number {
    for (const { id } of rows) this.dropSession(id);
    return rows.length;
  }

  private dropScopes(rows: { scope: string }[]): number {
    for (const { scope } of rows) this.dropScope(scope);
    return rows.length;
  }

  /** The least recently written artifact scopes past ORION_EMBEDDED_MAX_ARTIFACT_BYTES. */
  private evictScopes(): number {
    let { bytes } = this.q.artifactTotal.get() as { bytes: number };
    if (bytes <= this.options.maxArtifactBytes) return 0;
    const oldest = this.q.scopesOldest.all(HOUSEKEEPING_BATCH) as { scope: string; bytes: number }[];
    let dropped = 0;
    for (const row of oldest) {
      if (bytes <= this.options.maxArtifactBytes) break;
      bytes -= row.bytes;
      this.dropScope(row.scope);
      dropped++;
    }
    return dropped;
  }

  /** Uploaded files, in this database and through this store's group commit (sqlite-files.ts). */
  files(): FileStorage {
    this.filesPort ??= new SqliteFiles({
      db: this.db,
      write: (op, bytes) => this.writes.submit(op, false, bytes),
      read: (op) => this.one(op),
      now: this.now,
    });
    return this.filesPort;
  }

  /**
   * For a feature that keeps its own tables in this file (sqlite-executions.ts): the connection,
   * reads, and this store's write path, so its writes share the turn's transaction and lock.
   */
  shared(): SqliteAccess {
    return { db: this.db, read: (op) => this.one(op), write: (op) => this.write(op) };
  }

  /** A consistent copy of the store while it serves (SQLite's online backup). */
  async backup(destination: string): Promise<void> {
    await this.db.backup(destination);
  }

  async close(): Promise<void> {
    clearInterval(this.housekeeper);
    this.filesPort?.close();
    this.writes.drain();
    this.writes.abandon("the store is closing");
    if (this.db.open) this.db.close();
    // Whichever connection closes last checkpoints the log into the file and removes it.
    await this.checkpoints.stop();
  }
}

/** The data directory, created if missing; one that cannot be written is refused, naming the setting. */
function usableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new StoreOpenError(
      `ORION_DATA_DIR ${dir} is not a directory this process can write (${code ?? message})`,
    );
  }
}

/**
 * Opens the file, refusing one that is not a sound SQLite database rather than ever wiping it.
 * SQLite's busy timeout (a wait that blocks the thread) serves only here, at start; then it is 0.
 */
function openChecked(file: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: Math.max(busyTimeoutMs, 5_000) });
    db.pragma("auto_vacuum = INCREMENTAL"); // takes effect on a new file only
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma(`journal_size_limit = ${8 << 20}`); // after a burst, the log is cut back to 8 MiB
    const check = db.pragma("quick_check", { simple: true });
    if (check !== "ok") throw new Error(String(check));
    migrate(db);
    db.pragma("busy_timeout = 0");
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof SchemaTooNew) throw error;
    throw new StoreOpenError(
      `the store ${file} cannot be used (${(error as Error).message}): restore it from a backup, or move it aside to start empty; it is never wiped by the server`,
    );
  }
}

interface SessionRow {
  owner: string;
  created_at: number;
  updated_at: number;
  expires_at: number;
  next_seq: number;
  count: number;
  bytes: number;
}

function statements(db: Database.Database) {
  const s = (sql: string) => db.prepare(sql);
  return {
    counterGet: s("SELECT count, expires_at FROM counters WHERE key = ?"),
    counterSet: s(
      "INSERT INTO counters (key, count, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET count = excluded.count, expires_at = excluded.expires_at",
    ),
    counterCount: s("UPDATE counters SET count = ? WHERE key = ?"),
    counterRefund: s("UPDATE counters SET count = count - 1 WHERE key = ? AND count > 0 AND expires_at > ?"),
    countersExpire: s(
      "DELETE FROM counters WHERE key IN (SELECT key FROM counters WHERE expires_at <= ? LIMIT ?)",
    ),
    begin: s("BEGIN IMMEDIATE"),
    commit: s("COMMIT"),
    savepoint: s("SAVEPOINT op"),
    releaseSavepoint: s("RELEASE op"),
    rollbackToSavepoint: s("ROLLBACK TO op"),
    sessionGet: s(
      "SELECT owner, created_at, updated_at, expires_at, next_seq, count, bytes FROM sessions WHERE id = ?",
    ),
    sessionInsert: s(
      "INSERT INTO sessions (id, owner, created_at, updated_at, expires_at, next_seq, count, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    sessionUpdate: s(
      "UPDATE sessions SET updated_at = ?, expires_at = ?, next_seq = ?, count = ?, bytes = ? WHERE id = ?",
    ),
    sessionsCounted: s("UPDATE stats SET value = value + ? WHERE name = 'sessions' RETURNING value"),
    sessionDelete: s("DELETE FROM sessions WHERE id = ? RETURNING bytes"),
    sessionBytesCounted: s("UPDATE stats SET value = value + ? WHERE name = 'session_bytes' RETURNING value"),
    sessionsExpired: s("SELECT id FROM sessions WHERE expires_at <= ? LIMIT ?"),
    // Soonest to expire: the least recently written, as every write sets expires_at = now + TTL.
    sessionsOldest: s("SELECT id FROM sessions WHERE id != ? ORDER BY expires_at LIMIT ?"),
    entryInsert: s("INSERT INTO session_entries (session_id, seq, entry, bytes) VALUES (?, ?, ?, ?)"),
    entrySizes: s("SELECT seq, bytes FROM session_entries WHERE session_id = ? ORDER BY seq"),
    sessionWithEntries: s(
      "SELECT s.owner, s.created_at, s.updated_at, s.expires_at, e.entry FROM sessions s LEFT JOIN session_entries e ON e.session_id = s.id WHERE s.id = ? ORDER BY e.seq",
    ),
    entriesDropBefore: s("DELETE FROM session_entries WHERE session_id = ? AND seq <= ?"),
    entriesDropAll: s("DELETE FROM session_entries WHERE session_id = ?"),
    recordGet: s("SELECT value, expires_at FROM records WHERE key = ?"),
    recordSet: s(
      "INSERT INTO records (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
    ),
    recordDelete: s("DELETE FROM records WHERE key = ?"),
    recordsExpire: s(
      "DELETE FROM records WHERE key IN (SELECT key FROM records WHERE expires_at <= ? LIMIT ?)",
    ),
    scopeGet: s("SELECT expires_at FROM artifact_scopes WHERE scope = ?"),
    scopeSet: s(
      "INSERT INTO artifact_scopes (scope, expires_at, written_at, bytes) VALUES (?, ?, ?, ?) ON CONFLICT (scope) DO UPDATE SET expires_at = excluded.expires_at, written_at = excluded.written_at, bytes = excluded.bytes",
    ),
    scopeBytes: s("SELECT coalesce(sum(length(data)), 0) AS bytes FROM artifacts WHERE scope = ?"),
    scopeDelete: s("DELETE FROM artifact_scopes WHERE scope = ?"),
    scopesExpired: s("SELECT scope FROM artifact_scopes WHERE expires_at <= ? LIMIT ?"),
    scopesOldest: s("SELECT scope, bytes FROM artifact_scopes ORDER BY written_at LIMIT ?"),
    artifactTotal: s("SELECT coalesce(sum(bytes), 0) AS bytes FROM artifact_scopes"),
    artifactSet: s(
      "INSERT INTO artifacts (scope, id, meta, data) VALUES (?, ?, ?, ?) ON CONFLICT (scope, id) DO UPDATE SET meta = excluded.meta, data = excluded.data",
    ),
    artifactGet: s(
      "SELECT a.meta, a.data FROM artifacts a JOIN artifact_scopes s ON s.scope = a.scope WHERE a.scope = ? AND a.id = ? AND s.expires_at > ?",
    ),
    artifactList: s(
      "SELECT a.id, a.meta FROM artifacts a JOIN artifact_scopes s ON s.scope = a.scope WHERE a.scope = ? AND s.expires_at > ?",
    ),
    artifactsDropScope: s("DELETE FROM artifacts WHERE scope = ?"),
    mapSet: s(
      "INSERT INTO maps (map, field, value) VALUES (?, ?, ?) ON CONFLICT (map, field) DO UPDATE SET value = excluded.value",
    ),
    mapGet: s("SELECT value FROM maps WHERE map = ? AND field = ?"),
    mapEntries: s("SELECT field, value FROM maps WHERE map = ?"),
    mapDelete: s("DELETE FROM maps WHERE map = ? AND field = ?"),
    spaceProbe: s(
      "INSERT OR REPLACE INTO records (key, value, expires_at) VALUES ('orion:space-probe', zeroblob(262144), 0)",
    ),
    spaceProbeUndo: s("DELETE FROM records WHERE key = 'orion:space-probe'"),
    heartbeat: s(
      "INSERT INTO records (key, value, expires_at) VALUES ('orion:heartbeat', '', ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at",
    ),
  };
}
