import { settlesWithin } from "../runtime/settles-within.js";

/**
 * Store writes the reply does not wait for (a session append after the answer is complete): issued
 * at once, in order on the store's connection, so a next turn always reads them, but off the hot
 * path. Shutdown waits for them before closing the store, so none is lost.
 */
export class BackgroundWrites {
  private readonly pending = new Set<Promise<unknown>>();

  track(write: Promise<unknown>): void {
    const tracked = write.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves when every write issued so far has finished, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.pending.size === 0) return;
    await settlesWithin(Promise.allSettled([...this.pending]), timeoutMs);
  }
}
