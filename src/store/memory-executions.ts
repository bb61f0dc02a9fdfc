import { EventNotifier } from "./event-notifier.js";
import {
  type ExecutionLeases,
  type ExecutionRecord,
  type ExecutionStore,
  type ExecutionStoreLimits,
  type NewExecution,
  type StoredEvent,
  TERMINAL,
  type TerminalStatus,
} from "./execution-store.js";

interface Kept {
  record: ExecutionRecord;
  events: StoredEvent[];
  expiresAt: number;
  lease?: { worker: string; until: number };
}

/** Executions in this process (ORION_DATA_DIR=:memory:): nothing survives a restart. */
export class MemoryExecutions implements ExecutionStore, ExecutionLeases {
  private readonly kept = new Map<string, Kept>();
  private readonly notifier = new EventNotifier();
  private sweptAt = 0;

  constructor(
    private readonly limits: ExecutionStoreLimits,
    private readonly now: () => number = Date.now,
  ) {}

  private live(id: string): Kept | undefined {
    const kept = this.kept.get(id);
    if (kept && kept.expiresAt <= this.now()) {
      this.kept.delete(id);
      return undefined;
    }
    return kept;
  }

  async create(record: NewExecution, ttlMs: number): Promise<void> {
    this.sweep();
    this.kept.set(record.id, {
      record: { ...record, status: "pending", attempts: 0, lastSequence: 0 },
      events: [],
      expiresAt: this.now() + ttlMs,
    });
  }

  async get(id: string): Promise<ExecutionRecord | undefined> {
    const kept = this.live(id);
    return kept ? { ...kept.record } : undefined;
  }

  async list(owner: string, skip: number, limit: number): Promise<ExecutionRecord[]> {
    const mine: ExecutionRecord[] = [];
    for (const id of this.kept.keys()) {
      const kept = this.live(id);
      if (kept?.record.owner === owner) mine.push({ ...kept.record });
    }
    mine.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    return mine.slice(skip, skip + limit);
  }

  async start(id: string): Promise<ExecutionRecord | undefined> {
    const kept = this.live(id);
    if (!kept || TERMINAL.has(kept.record.status)) return undefined;
    kept.record.status = "running";
    kept.record.attempts += 1;
    return { ...kept.record };
  }

  async handBack(id: string): Promise<void> {
    const kept = this.live(id);
    if (kept?.record.status !== "running") return;
    kept.record.status = "pending";
    kept.record.attempts = Math.max(0, kept.record.attempts - 1);
  }

  async append(id: string, event: string): Promise<number> {
    const kept = this.live(id);
    if (!kept || TERMINAL.has(kept.record.status)) return 0;
    if (kept.events.length >= this.limits.maxEvents - 1) return 0;
    return this.push(kept, event);
  }

  private push(kept: Kept, event: string): number {
    const sequence = kept.record.lastSequence + 1;
    kept.record.lastSequence = sequence;
    kept.events.push({ sequence, event });
    this.notifier.notify(kept.record.id);
    return sequence;
  }

  async finish(id: string, status: TerminalStatus, execution: string, finalEvent: string): Promise<number> {
    const kept = this.live(id);
    if (!kept || TERMINAL.has(kept.record.status)) return 0;
    kept.record.status = status;
    kept.record.execution = execution;
    kept.lease = undefined;
    return this.push(kept, finalEvent);
  }

  async events(id: string, after: number, limit: number): Promise<StoredEvent[]> {
    const events = this.live(id)?.events ?? [];
    // Sequences are dense from 1, so `after` is also the index of the first event after it.
    return events.slice(after, after + limit);
  }

  async waitForEvents(id: string, after: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const kept = this.live(id);
    if (!kept || kept.record.lastSequence > after) return;
    await this.notifier.wait(id, timeoutMs, signal);
  }

  async claim(worker: string, leaseMs: number): Promise<string | undefined> {
    const now = this.now();
    for (const [id, kept] of this.kept) {
      if (TERMINAL.has(kept.record.status) || kept.expiresAt <= now) continue;
      if (kept.lease && kept.lease.until > now) continue;
      kept.lease = { worker, until: now + leaseMs };
      return id;
    }
    return undefined;
  }

  async renew(id: string, worker: string, leaseMs: number): Promise<boolean> {
    const kept = this.live(id);
    if (!kept || kept.lease?.worker !== worker || TERMINAL.has(kept.record.status)) return false;
    kept.lease.until = this.now() + leaseMs;
    return true;
  }

  async release(id: string, worker: string): Promise<void> {
    const kept = this.kept.get(id);
    if (kept?.lease?.worker === worker) kept.lease = undefined;
  }

  /** Drops expired executions, at most once a second (a pass over all of them). */
  private sweep(): void {
    const now = this.now();
    if (now - this.sweptAt < 1_000) return;
    this.sweptAt = now;
    for (const [id, kept] of this.kept) if (kept.expiresAt <= now) this.kept.delete(id);
  }

  async close(): Promise<void> {}
}
