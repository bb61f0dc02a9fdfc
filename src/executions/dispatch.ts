/** Who takes submitted executions and runs them: BullMQ on Redis, the store's leases otherwise. */
export interface Dispatcher {
  start(): Promise<void>;
  /** A new execution is ready to run. Throws when it could not be queued. */
  submitted(id: string): Promise<void>;
  /** Stops taking work; runs in progress are left for another process (or the restart) to resume. */
  close(timeoutMs: number): Promise<void>;
}
