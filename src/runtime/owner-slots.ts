/**
 * Slots per owner in this process for something one caller could otherwise hold thousands of at
 * once (an execution's event streams, each polling the store; uploads, each holding a chunk
 * buffer): past its share, the owner is refused and others are not.
 */
export class OwnerSlots {
  private readonly held = new Map<string, number>();

  constructor(readonly maxPerOwner: number) {}

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
