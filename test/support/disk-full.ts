import type Database from "better-sqlite3";
import type { Store } from "../../src/store/store.js";

/** The connection inside a durable store (a test reaches in to make its disk "full"). */
export const connectionOf = (store: Store) => (store as unknown as { db: Database.Database }).db;

/**
 * Makes the store's file full where it stands (SQLite's max_page_count on its connection): any
 * write that needs a new page fails with SQLITE_FULL, as on a full disk. The function returned
 * gives the space back.
 */
export function fillDisk(store: Store): () => void {
  const db = connectionOf(store);
  const before = db.pragma("max_page_count", { simple: true }) as number;
  db.pragma(`max_page_count = ${db.pragma("page_count", { simple: true })}`);
  return () => db.pragma(`max_page_count = ${before}`);
}
