import { Counter, Gauge, Histogram } from "prom-client";
import type { SqliteStore } from "../store/sqlite-store.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

/** Group commits take microseconds to milliseconds; a lock or disk wait shows in the upper buckets. */
const BATCH_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5];
const SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/**
 * The durable store in /metrics (its group commits, waits for another process's write lock, faults,
 * housekeeping, and its size on disk, read at each scrape) and in the log: one line when its writes
 * start failing (lock held too long, disk full, an I/O error) and one when they succeed again, not
 * a line per refused request.
 */
export function observeDurableStore(store: SqliteStore, metrics: Metrics, logger: Logger): void {
  const registers = [metrics.registry];
  const batchSeconds = new Histogram({
    name: "orion_store_write_batch_seconds",
    help: "Durable store: time to run and commit one group commit (the writes of one event-loop turn)",
    buckets: BATCH_BUCKETS,
    registers,
  });
  const batchWrites = new Histogram({
    name: "orion_store_write_batch_writes",
    help: "Durable store: writes carried by one group commit",
    buckets: SIZE_BUCKETS,
    registers,
  });
  const busyRetries = new Counter({
    name: "orion_store_busy_retries_total",
    help: "Durable store: times a group commit found the write lock held by another process and waited on a timer",
    registers,
  });
  const faults = new Counter({
    name: "orion_store_faults_total",
    help: "Durable store: episodes of refused writes, by fault (locked past ORION_STORE_TIMEOUT_MS, full, failing)",
    labelNames: ["fault"],
    registers,
  });
  const housekeeping = new Histogram({
    name: "orion_store_housekeeping_seconds",
    help: "Durable store: housekeeping runs (expired rows swept, bounds enforced, space handed back) and their time",
    buckets: [0.001, 0.01, 0.1, 1, 10, 60],
    registers,
  });
  new Gauge({
    name: "orion_store_file_bytes",
    help: "Durable store: bytes on disk (the store file and its write-ahead log), read at each scrape",
    registers,
    collect() {
      this.set(store.fileBytes());
    },
  });
  store.observe({
    batch(writes, seconds) {
      batchSeconds.observe(seconds);
      batchWrites.observe(writes);
    },
    busyRetry: () => busyRetries.inc(),
    fault(fault, detail) {
      faults.inc({ fault });
      logger.error({ fault, file: store.file }, `the durable store refuses writes: ${detail}`);
    },
    recovered(fault) {
      logger.info({ fault, file: store.file }, "the durable store takes writes again");
    },
    housekeeping: (seconds) => housekeeping.observe(seconds),
    checkpointsFailed(detail) {
      logger.warn(
        { file: store.file },
        `the durable store's checkpoint thread failed (${detail}): commits checkpoint the log themselves`,
      );
    },
  });
}
