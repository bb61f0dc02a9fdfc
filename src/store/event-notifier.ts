/**
 * Wakes the watchers of an execution's log in this process when an event is appended, so a live
 * follow needs no polling within one process. A wait ends on a notice, its deadline or its signal.
 */
export class EventNotifier {
  private readonly waiting = new Map<string, Set<() => void>>();

  notify(id: string): void {
    const wakers = this.waiting.get(id);
    if (!wakers) return;
    this.waiting.delete(id);
    for (const wake of wakers) wake();
  }

  wait(id: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.waiting.get(id)?.delete(done);
        if (this.waiting.get(id)?.size === 0) this.waiting.delete(id);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener("abort", done, { once: true });
      let wakers = this.waiting.get(id);
      if (!wakers) {
        wakers = new Set();
        this.waiting.set(id, wakers);
      }
      wakers.add(done);
    });
  }

  /** Watchers waiting now (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const wakers of this.waiting.values()) n += wakers.size;
    return n;
  }
}
