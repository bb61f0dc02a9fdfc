import type Database from "better-sqlite3";
import { type CommitResult, type FileStorage, fileJson, parseFile, type StoredFile } from "./file-storage.js";

/** How the SQLite store lends its database: reads, and writes in its group commit. */
export interface SqliteAccess {
  db: Database.Database;
  /** Runs `op` in this turn's write transaction (or a later one, past its byte bound); resolves once it has committed. */
  write<T>(op: () => T, bytes?: number): Promise<T>;
  /** Runs a read; a SQLite failure rejects with StoreUnavailable. */
  read<T>(op: () => T): Promise<T>;
  now(): number;
}

/** Expired chunks deleted per write: each is up to a chunk (1 MiB) of freed pages. */
const SWEEP_CHUNKS = 32;
const SWEEP_FILES = 500;

/**
 * Files in the durable embedded store (tables `files` and `file_chunks`, schema 2): each chunk is
 * its own row, written through the store's group commit like every other write. Expired rows go
 * in small batches off the request path.
 */
export class SqliteFiles implements FileStorage {
  private readonly q: ReturnType<typeof statements>;
  private readonly sweeper: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly access: SqliteAccess,
    sweepMs = 60_000,
  ) {
    this.q = statements(access.db);
    this.sweeper = setInterval(() => void this.sweep(), sweepMs);
    this.sweeper.unref();
  }

  putChunk(fileId: string, index: number, data: Uint8Array, expiresAt: number) {
    const blob = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return this.access.write(() => {
      this.q.chunkSet.run(fileId, index, expiresAt, blob);
    }, blob.byteLength);
  }

  getChunk(fileId: string, index: number) {
    return this.access.read(() => {
      const row = this.q.chunkGet.get(fileId, index, this.access.now()) as { data: Buffer } | undefined;
      return row?.data;
    });
  }

  dropChunks(fileId: string, from: number, to: number) {
    return this.access.write(() => {
      this.q.chunksDrop.run(fileId, from, to);
    });
  }

  commit(file: StoredFile, maxOwnerBytes: number): Promise<CommitResult> {
    return this.access.write((): CommitResult => {
      const now = this.access.now();
      const same = this.q.byMd5.get(file.owner, file.md5, now) as { meta: string } | undefined;
      if (same) return { outcome: "duplicate", file: parseFile(same.meta) };
      const { used } = this.q.used.get(file.owner, now) as { used: number };
      if (used + file.bytes > maxOwnerBytes) return { outcome: "over_quota", usedBytes: used };
      this.q.fileSet.run(
        file.owner,
        file.id,
        file.md5,
        file.bytes,
        file.createdAt,
        file.expiresAt,
        fileJson(file),
      );
      return { outcome: "created", file };
    });
  }

  get(owner: string, id: string) {
    return this.access.read(() => {
      const row = this.q.fileGet.get(owner, id, this.access.now()) as { meta: string } | undefined;
      return row && parseFile(row.meta);
    });
  }

  findByMd5(owner: string, md5: string) {
    return this.access.read(() => {
      const row = this.q.byMd5.get(owner, md5, this.access.now()) as { meta: string } | undefined;
      return row && parseFile(row.meta);
    });
  }

  list(owner: string, skip: number, limit: number) {
    return this.access.read(() =>
      (this.q.newest.all(owner, this.access.now(), limit, skip) as { meta: string }[]).map((row) =>
        parseFile(row.meta),
      ),
    );
  }

  remove(owner: string, id: string) {
    return this.access.write(() => {
      const row = this.q.fileDelete.get(owner, id) as { meta: string; expires_at: number } | undefined;
      return row && row.expires_at > this.access.now() ? parseFile(row.meta) : undefined;
    });
  }

  usedBytes(owner: string) {
    return this.access.read(() => (this.q.used.get(owner, this.access.now()) as { used: number }).used);
  }

  /** Deletes expired files and chunks, a small batch per write so requests interleave. */
  async sweep(): Promise<void> {
    if (this.sweeping || !this.access.db.open) return;
    this.sweeping = true;
    try {
      const now = this.access.now();
      while (this.access.db.open) {
        const dropped = await this.access.write(() => this.q.chunksExpire.run(now, SWEEP_CHUNKS).changes);
        if (dropped < SWEEP_CHUNKS) break;
      }
      while (this.access.db.open) {
        const dropped = await this.access.write(() => this.q.filesExpire.run(now, SWEEP_FILES).changes);
        if (dropped < SWEEP_FILES) break;
      }
    } catch {
      // A busy or closing store is swept at the next round.
    } finally {
      this.sweeping = false;
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

function statements(db: Database.Database) {
  const s = (sql: string) => db.prepare(sql);
  return {
    chunkSet: s(
      "INSERT INTO file_chunks (file_id, seq, expires_at, data) VALUES (?, ?, ?, ?) ON CONFLICT (file_id, seq) DO UPDATE SET expires_at = excluded.expires_at, data = excluded.data",
    ),
    chunkGet: s("SELECT data FROM file_chunks WHERE file_id = ? AND seq = ? AND expires_at > ?"),
    chunksDrop: s("DELETE FROM file_chunks WHERE file_id = ? AND seq >= ? AND seq < ?"),
    chunksExpire: s(
      "DELETE FROM file_chunks WHERE rowid IN (SELECT rowid FROM file_chunks WHERE expires_at <= ? LIMIT ?)",
    ),
    fileSet: s(
      "INSERT INTO files (owner, id, md5, bytes, created_at, expires_at, meta) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    fileGet: s("SELECT meta FROM files WHERE owner = ? AND id = ? AND expires_at > ?"),
    byMd5: s("SELECT meta FROM files WHERE owner = ? AND md5 = ? AND expires_at > ? LIMIT 1"),
    used: s("SELECT coalesce(sum(bytes), 0) AS used FROM files WHERE owner = ? AND expires_at > ?"),
    newest: s(
      "SELECT meta FROM files WHERE owner = ? AND expires_at > ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
    ),
    fileDelete: s("DELETE FROM files WHERE owner = ? AND id = ? RETURNING meta, expires_at"),
    filesExpire: s(
      "DELETE FROM files WHERE rowid IN (SELECT rowid FROM files WHERE expires_at <= ? LIMIT ?)",
    ),
  };
}
