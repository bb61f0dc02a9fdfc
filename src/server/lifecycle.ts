import { setMaxListeners } from "node:events";

/**
 * Tracks in-flight requests and the draining state for graceful shutdown: readiness turns 503,
 * new requests are refused, in-flight ones may finish until a deadline, then `cutoff` aborts them.
 */
export class Lifecycle {
  private inflight = 0;
  private begun = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly cutoffController = new AbortController();
  private readonly tracked = new Set<AbortController>();
  draining = false;

  constructor() {
    // Every in-flight RPC listens to the cutoff signal; that is many listeners by design.
    setMaxListeners(0, this.cutoffController.signal);
  }

  /** Aborted when the drain deadline passes; long streams listen to it. */
  get cutoff(): AbortSignal {
    return this.cutoffController.signal;
  }

  get inflightCount(): number {
    return this.inflight;
  }

  /** Requests begun since start (what tells a quiet spell from a busy one). */
  get begunCount(): number {
    return this.begun;
  }

  begin(): () => void {
    this.inflight++;
    this.begun++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inflight--;
      if (this.inflight === 0) {
        for (const wake of this.idleWaiters.splice(0)) wake();
      }
    };
  }

  /** Resolves true when nothing is in flight, false if the deadline passed first. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.inflight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Registers a call to abort at the cutoff (cheaper than a listener on the shared signal). */
  track(controller: AbortController): () => void {
    if (this.cutoffController.signal.aborted) controller.abort(this.cutoffController.signal.reason);
    this.tracked.add(controller);
    return () => this.tracked.delete(controller);
  }

  cut(reason: unknown): void {
    this.cutoffController.abort(reason);
    for (const controller of this.tracked) controller.abort(reason);
    this.tracked.clear();
  }
}
