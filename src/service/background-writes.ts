import { settlesWithin } from "../runtime/settles-within.js";

/**
 * Store writes the reply does not wait for (a session append after the answer is complete): issued
 * as soon as the reply is out, in order on the store's connection, so a next turn (which can only
 * arrive after the reply) always reads them, but off the hot path. Shutdown waits for them before
 * closing the store, so none is lost.
 */
export class BackgroundWrites {
  private readonly pending = new Set<Promise<unknown>>();

  /**
   * `beforeReply`: the store is a file of this machine's (the durable embedded store), where a
   * write costs microseconds; the reply then waits for it, so no reply a client received can be
   * lost to the process being killed right after it.
   */
  constructor(private readonly beforeReply = false) {}

  /**
   * A write the reply is about: done before it (beforeReply), its failure thrown so the reply is
   * not sent; or issued right after it, its failure handed to `failed`.
   */
  async forReply(write: () => Promise<unknown>, failed: (error: unknown) => void): Promise<void> {
    if (this.beforeReply) await write();
    else this.afterReply(() => write().catch(failed));
  }

  track(write: Promise<unknown>): void {
    const tracked = write.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /**
   * Issues `write` once the reply in progress has gone out: replies are written in the promise
   * chain that settles a chat, which runs before the event loop's next check phase. So the work of
   * the write (serialising, encoding the store command) is off the reply's latency too.
   */
  private afterReply(write: () => Promise<unknown>): void {
    this.track(new Promise((resolve) => setImmediate(resolve)).then(write));
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
