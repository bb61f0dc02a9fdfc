import type { SqliteStore } from "../store/sqlite-store.js";
import type { Logger } from "./logger.js";

/**
 * The durable store's faults in the log: one line when its writes start failing (lock held too
 * long, disk full, an I/O error) and one when they succeed again, not a line per refused request.
 */
export function observeDurableStore(store: SqliteStore, logger: Logger): void {
  store.observe({
    batch() {},
    busyRetry() {},
    fault(fault, detail) {
      logger.error({ fault, file: store.file }, `the durable store refuses writes: ${detail}`);
    },
    recovered(fault) {
      logger.info({ fault, file: store.file }, "the durable store takes writes again");
    },
  });
}
