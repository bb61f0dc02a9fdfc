import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { ExecutionConfig } from "../config.js";
import type { Logger } from "../observability/logger.js";
import type { ExecutionLeases } from "../store/execution-store.js";
import type { Dispatcher } from "./dispatch.js";
import type { ExecutionRunner } from "./execution-runner.js";

/** How long an idle dispatcher waits before looking for work again (a submit here wakes it at once). */
const IDLE_MS = 500;

/**
 * The embedded stores' dispatcher: each server process takes pending executions (and running ones
 * whose process died: their lease lapsed) from the store under a lease it renews while it runs
 * them, so with ORION_WORKERS > 1 one process runs each, and after a restart the runs of the
 * killed process are resumed.
 */
export class LocalDispatcher implements Dispatcher {
  private readonly worker = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly stopping = new AbortController();
  private readonly runs = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly leases: ExecutionLeases,
    private readonly runner: ExecutionRunner,
    private readonly config: ExecutionConfig,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.loop ??= this.takeWork();
  }

  async submitted(): Promise<void> {
    this.wake?.();
  }

  private async takeWork(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      while (this.runs.size < this.config.concurrency && !this.stopping.signal.aborted) {
        const id = await this.leases.claim(this.worker, this.config.lockMs).catch((error: unknown) => {
          this.logger.warn({ err: (error as Error).message }, "could not look for executions to run");
          return undefined;
        });
        if (!id) break;
        const run = this.runLeased(id).finally(() => {
          this.runs.delete(run);
          this.wake?.();
        });
        this.runs.add(run);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private async runLeased(id: string): Promise<void> {
    const renewal = setInterval(
      () =>
        void this.leases.renew(id, this.worker, this.config.lockMs).then(
          (held) => {
            if (!held) this.runner.abortLocal(id); // ended, or another process took it
          },
          () => {}, // a failed renewal is retried on the next tick
        ),
      Math.max(100, Math.floor(this.config.lockMs / 3)),
    );
    try {
      await this.runner.run(id, this.stopping.signal);
    } catch (error) {
      this.logger.error({ execution_id: id, err: (error as Error).message }, "execution run failed");
    } finally {
      clearInterval(renewal);
      await this.leases.release(id, this.worker).catch(() => {});
    }
  }

  async close(timeoutMs: number): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    const settled = Promise.allSettled([...this.runs, this.loop]);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }
}
