/**
 * Open watches (event streams of executions) per owner in this process, so one caller cannot hold
 * thousands of streams that each poll the store: past its share, a watch is refused.
 */
export class WatchSlots {
  private readonly held = new Map<string, number>();

  constructor(readonly maxPerOwner = 64) {}

  /** Takes a slot; the function that gives it back, or undefined when the owner holds them all. */
  take(owner: string): (() => void) | undefined {
    const held = this.held.get(owner) ?? 0;
    if (held >= this.maxPerOwner) return undefined;
    this.held.set(owner, held + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.held.get(owner) ?? 1) - 1;
      if (left > 0) this.held.set(owner, left);
      else this.held.delete(owner);
    };
  }
}
