import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * How often the background thread copies the write-ahead log into the database file, and the log
 * length (in 4 KiB frames) past which it also makes the next writer start the log over.
 */
export interface CheckpointOptions {
  everyMs: number;
  restartFrames: number;
  /** Longest the thread waits for the write lock to restart the log (it blocks only itself). */
  restartWaitMs: number;
  /**
   * The log length at which the serving connection checkpoints by itself, inside a commit on the
   * event loop: a backstop for a thread that falls behind (SQLite's default is 1,000 frames). If
   * the thread fails, commits checkpoint at SQLite's default again.
   */
  fallbackFrames: number;
}

export const DEFAULT_CHECKPOINTS: CheckpointOptions = {
  everyMs: 100,
  restartFrames: 2048,
  restartWaitMs: 250,
  fallbackFrames: 16_384,
};

// The thread's code, evaluated (not a file): the same text serves the compiled server, the
// TypeScript tests and the CLI. Written to run as a CommonJS or an ES module script; a failure
// is an unhandled rejection, which ends the thread with an "error" event.
const WORKER_SOURCE = `(async () => {
  const { parentPort, workerData } = await import("node:worker_threads");
  const { createRequire } = await import("node:module");
  const Database = createRequire(workerData.driver)(workerData.driver);
  const db = new Database(workerData.file, { timeout: workerData.restartWaitMs });
  let timer;
  // A restart that found the lock taken (a writer, or readers on the old log) is tried again at once.
  const step = () => {
    let again = false;
    try {
      const [passive] = db.pragma("wal_checkpoint(PASSIVE)");
      if (passive.log > workerData.restartFrames) {
        const [restart] = db.pragma("wal_checkpoint(RESTART)");
        again = restart.busy === 1;
      }
    } catch (error) {
      if (!String(error && error.code).startsWith("SQLITE_BUSY")) throw error;
    }
    timer = setTimeout(step, again ? 1 : workerData.everyMs);
  };
  timer = setTimeout(step, workerData.everyMs);
  parentPort.on("message", () => {
    clearTimeout(timer);
    db.close();
    parentPort.close();
  });
})();`;

/**
 * Checkpoints the store's write-ahead log from a thread of its own, so the event loop never copies
 * pages or waits for fsync inside a commit (which SQLite's automatic checkpoint does): a PASSIVE
 * checkpoint often (it never blocks a writer), and a RESTART one when the log grew long (it takes
 * the write lock for a moment: the event loop's writes wait on their timer meanwhile). Every
 * process on the machine runs one; SQLite lets one checkpoint run at a time.
 */
export class BackgroundCheckpoints {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private stopping = false;

  constructor(file: string, onFailure: (error: Error) => void, options = DEFAULT_CHECKPOINTS) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, ...options } });
    this.worker.unref();
    this.worker.once("error", (error) => {
      if (!this.stopping) onFailure(error);
    });
    this.exited = new Promise((resolve) => this.worker.once("exit", () => resolve()));
  }

  /** Stops the thread after its current checkpoint; its connection is closed before this resolves. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.worker.ref(); // whoever awaits the stop keeps the process alive until the thread is gone
      this.worker.postMessage("stop");
      const deadline = setTimeout(() => void this.worker.terminate(), 2_000);
      deadline.unref();
      void this.exited.then(() => clearTimeout(deadline));
    }
    return this.exited;
  }
}
