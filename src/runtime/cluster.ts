import cluster, { type Worker } from "node:cluster";

/**
 * ORION_WORKERS > 1: this process only supervises. It starts that many server processes sharing
 * the port (node:cluster hands connections out round-robin); quota and sessions stay exact
 * because they live in the shared store. A worker that dies is replaced (a worker that cannot
 * start at all ends the whole server instead of looping); SIGTERM/SIGINT drain every worker.
 */
export function superviseWorkers(count: number, log: (line: Record<string, unknown>) => void): void {
  let stopping = false;
  let listening = 0;
  const start = (): Worker => {
    const worker = cluster.fork();
    worker.once("listening", () => listening++);
    // The "listening" line (where to go, which backends) is printed once, when every worker
    // listens; a replacement worker says only that it started.
    worker.on("message", (message: unknown) => {
      const ready = message as ListeningMessage | undefined;
      if (ready?.kind !== LISTENING) return;
      if (++announced === count) log({ level: "info", ...ready.fields, workers: count, msg: "listening" });
      else if (announced > count)
        log({ level: "info", pid: worker.process.pid, msg: "replacement worker listening" });
    });
    worker.once("exit", (code, signal) => {
      if (stopping) return;
      if (listening < count && code === 2) {
        // A configuration or port problem: every worker would fail the same way (it said why).
        stopping = true;
        for (const other of Object.values(cluster.workers ?? {})) other?.kill("SIGTERM");
        process.exitCode = 2;
        return;
      }
      log({ level: "warn", pid: worker.process.pid, code, signal, msg: "worker exited; starting another" });
      setTimeout(start, 500).unref();
    });
    return worker;
  };
  let announced = 0;
  for (let i = 0; i < count; i++) start();
  log({ level: "info", workers: count, pid: process.pid, msg: "supervising workers" });
  for (const name of ["SIGTERM", "SIGINT"] as const) {
    process.once(name, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
    });
  }
}

export const isWorkerOrSingle = (count: number) => count <= 1 || !cluster.isPrimary;

const LISTENING = "orion:listening";
interface ListeningMessage {
  kind: typeof LISTENING;
  fields: Record<string, unknown>;
}

/**
 * A server process is listening: a single process logs it; a cluster worker tells its supervisor,
 * which prints one line for all of them.
 */
export function announceListening(fields: Record<string, unknown>, logLine: () => void): void {
  if (cluster.isWorker && process.send) {
    const message: ListeningMessage = { kind: LISTENING, fields };
    process.send(message);
  } else logLine();
}
