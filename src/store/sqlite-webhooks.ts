import type { SqliteAccess } from "./sqlite-store.js";

/** A delivery waiting in the store: the webhook as first made, and which attempt comes next. */
export interface QueuedWebhook {
  id: string;
  url: string;
  body: string;
  /** Attempts already made (0 before the first). */
  attempt: number;
}

/**
 * Webhook deliveries in the durable embedded store's file (schema step 4), written through the
 * store's write path, so a delivery or its next retry outlives the process. A process takes a due
 * delivery under a lease (one attempt's deadline and some), so with several server processes on
 * one data directory each attempt is made by one of them; a lease left by a killed process lapses
 * and the attempt is made again.
 */
export class SqliteWebhooks {
  private readonly q: ReturnType<typeof statements>;

  constructor(
    private readonly access: SqliteAccess,
    private readonly now: () => number = Date.now,
  ) {
    this.q = statements(access);
  }

  /** Queues a delivery due now; one already queued under this id is kept as it is. */
  async add(hook: { id: string; url: string; body: string }): Promise<void> {
    await this.access.write(() => this.q.add.run(hook.id, hook.url, hook.body, this.now()));
  }

  /** Leases up to `limit` due deliveries to `worker` for `leaseMs`. */
  claimDue(worker: string, leaseMs: number, limit: number): Promise<QueuedWebhook[]> {
    if (limit <= 0) return Promise.resolve([]);
    return this.access.write(() => {
      const now = this.now();
      return this.q.claim.all(worker, now + leaseMs, now, now, limit) as QueuedWebhook[];
    });
  }

  /** Records a failed attempt and when the next is due; false when the lease was lost meanwhile. */
  reschedule(id: string, worker: string, attempt: number, delayMs: number): Promise<boolean> {
    return this.access.write(
      () => this.q.reschedule.run(attempt, this.now() + delayMs, id, worker).changes === 1,
    );
  }

  /** Drops a delivery that is done with (delivered, or given up). */
  async remove(id: string, worker: string): Promise<void> {
    await this.access.write(() => this.q.remove.run(id, worker));
  }

  /** Milliseconds until the next delivery is due (0 if one is now), undefined when none waits. */
  nextDueIn(): Promise<number | undefined> {
    return this.access.read(() => {
      const row = this.q.nextDue.get() as { next: number | null };
      return row.next === null ? undefined : Math.max(0, row.next - this.now());
    });
  }
}

function statements({ db }: SqliteAccess) {
  const s = (sql: string) => db.prepare(sql);
  return {
    add: s(
      "INSERT INTO webhooks (id, url, body, attempt, next_at) VALUES (?, ?, ?, 0, ?) ON CONFLICT (id) DO NOTHING",
    ),
    claim: s(
      "UPDATE webhooks SET lease_worker = ?, lease_until = ? WHERE id IN (SELECT id FROM webhooks WHERE next_at <= ? AND lease_until <= ? ORDER BY next_at LIMIT ?) RETURNING id, url, body, attempt",
    ),
    reschedule: s(
      "UPDATE webhooks SET attempt = ?, next_at = ?, lease_worker = NULL, lease_until = 0 WHERE id = ? AND lease_worker = ?",
    ),
    remove: s("DELETE FROM webhooks WHERE id = ? AND lease_worker = ?"),
    nextDue: s("SELECT min(max(next_at, lease_until)) AS next FROM webhooks"),
  };
}
