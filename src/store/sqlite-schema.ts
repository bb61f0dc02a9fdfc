import type Database from "better-sqlite3";
import { StoreOpenError } from "./store.js";

/** The layout this code writes; a store recorded with a newer one is refused, an older one migrated. */
export const SCHEMA_VERSION = 5;

/** Each step takes a store from version i to i + 1; index 0 creates version 1 from nothing. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at INTEGER NOT NULL);
  CREATE INDEX counters_expiry ON counters (expires_at);
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL, next_seq INTEGER NOT NULL, count INTEGER NOT NULL, bytes INTEGER NOT NULL
  );
  CREATE INDEX sessions_expiry ON sessions (expires_at);
  CREATE INDEX sessions_written ON sessions (updated_at);
  CREATE TABLE session_entries (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, entry TEXT NOT NULL, bytes INTEGER NOT NULL,
    PRIMARY KEY (session_id, seq)
  ) WITHOUT ROWID;
  CREATE TABLE records (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL);
  CREATE INDEX records_expiry ON records (expires_at);
  CREATE TABLE artifact_scopes (
    scope TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, written_at INTEGER NOT NULL, bytes INTEGER NOT NULL
  );
  CREATE INDEX artifact_scopes_expiry ON artifact_scopes (expires_at);
  CREATE INDEX artifact_scopes_written ON artifact_scopes (written_at);
  CREATE TABLE artifacts (
    scope TEXT NOT NULL, id TEXT NOT NULL, meta TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (scope, id)
  );
  CREATE TABLE maps (map TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (map, field));
  CREATE TABLE stats (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT INTO stats (name, value) VALUES ('sessions', 0), ('session_bytes', 0);
  `,
  // 2: durable agent executions (sqlite-executions.ts) and their event logs.
  `
  CREATE TABLE executions (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL, attempts INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    event_count INTEGER NOT NULL, execution TEXT NOT NULL, spec TEXT NOT NULL,
    lease_worker TEXT, lease_until INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX executions_owner ON executions (owner, created_at);
  CREATE INDEX executions_expiry ON executions (expires_at);
  CREATE INDEX executions_open ON executions (status, lease_until) WHERE status IN ('pending', 'running');
  CREATE TABLE execution_events (
    execution_id TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (execution_id, seq)
  ) WITHOUT ROWID;
  `,
  // 3: uploaded files (the Files API); the content in chunks, each its own row (store/sqlite-files.ts).
  `
  CREATE TABLE files (
    owner TEXT NOT NULL, id TEXT NOT NULL, md5 TEXT NOT NULL, bytes INTEGER NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, meta TEXT NOT NULL, PRIMARY KEY (owner, id)
  );
  CREATE INDEX files_md5 ON files (owner, md5);
  CREATE INDEX files_newest ON files (owner, created_at, id);
  CREATE INDEX files_expiry ON files (expires_at);
  CREATE TABLE file_chunks (
    file_id TEXT NOT NULL, seq INTEGER NOT NULL, expires_at INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (file_id, seq)
  );
  CREATE INDEX file_chunks_expiry ON file_chunks (expires_at);
  `,
  // 4: webhook deliveries still to be made or retried (store/sqlite-webhooks.ts), so a restart keeps them.
  `
  CREATE TABLE webhooks (
    id TEXT PRIMARY KEY, url TEXT NOT NULL, body TEXT NOT NULL, attempt INTEGER NOT NULL,
    next_at INTEGER NOT NULL, lease_worker TEXT, lease_until INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX webhooks_due ON webhooks (next_at);
  `,
  // 5: sessions keyed by their id alone (no rowid, so no separate id index) and evicted by expiry
  // (the same order as by last write, since every write sets expires_at = now + TTL): a chat's new
  // session writes two index pages fewer in its commit.
  `
  CREATE TABLE sessions_by_id (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL, next_seq INTEGER NOT NULL, count INTEGER NOT NULL, bytes INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO sessions_by_id SELECT id, owner, created_at, updated_at, expires_at, next_seq, count, bytes FROM sessions;
  DROP TABLE sessions;
  ALTER TABLE sessions_by_id RENAME TO sessions;
  CREATE INDEX sessions_expiry ON sessions (expires_at);
  `,
];

export class SchemaTooNew extends StoreOpenError {}

/**
 * Brings the store to SCHEMA_VERSION (SQLite's `user_version` records it), in one transaction
 * per step; refuses a store written by newer code, which this code could misread. The version is
 * read inside each step's write transaction: processes starting at once on a fresh directory
 * (ORION_WORKERS, the CLI) take turns, and each step runs once.
 */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): void {
  const version = () => db.pragma("user_version", { simple: true }) as number;
  const step = db.transaction((): boolean => {
    const current = version();
    if (current > SCHEMA_VERSION) {
      throw new SchemaTooNew(
        `the store was written by a newer Orion Server (schema ${current}; this one knows ${SCHEMA_VERSION}): upgrade, or point ORION_DATA_DIR elsewhere`,
      );
    }
    if (current >= target) return false;
    db.exec(MIGRATIONS[current] as string);
    db.pragma(`user_version = ${current + 1}`);
    return true;
  });
  while (step.immediate());
}
