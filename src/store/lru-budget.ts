export interface Budget {
  /** Most entries kept. */
  maxEntries: number;
  /** Most bytes kept, summed over the entries' own sizes. */
  maxBytes: number;
}

interface Slot<T> {
  value: T;
  bytes: number;
  expiresAt: number;
}

/**
 * Expiring entries with a size each, least recently written first: past either limit of the
 * budget the oldest go. The embedded store keeps sessions, records and artifact scopes in these,
 * so a caller can fill the process's memory no more than the budget allows.
 */
export class LruBudget<T> {
  private readonly slots = new Map<string, Slot<T>>();
  private total = 0;

  constructor(
    private readonly budget: Budget,
    private readonly now: () => number,
  ) {}

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.slots.size;
  }

  /** The live value; an expired one is dropped on the way. */
  get(key: string): T | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt <= this.now()) {
      this.delete(key);
      return undefined;
    }
    return slot.value;
  }

  /**
   * Stores `value` as the most recently written, then evicts the oldest others until both limits
   * hold. The entry just written is never evicted for its own sake: its size is bounded upstream.
   */
  set(key: string, value: T, bytes: number, expiresAt: number): void {
    this.delete(key);
    this.slots.set(key, { value, bytes, expiresAt });
    this.total += bytes;
    for (const oldest of this.slots.keys()) {
      if (oldest === key) break;
      if (this.slots.size <= this.budget.maxEntries && this.total <= this.budget.maxBytes) break;
      this.delete(oldest);
    }
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (!slot) return false;
    this.total -= slot.bytes;
    return this.slots.delete(key);
  }

  /** Drops every expired entry. */
  sweep(): void {
    const now = this.now();
    for (const [key, slot] of this.slots) if (slot.expiresAt <= now) this.delete(key);
  }
}
