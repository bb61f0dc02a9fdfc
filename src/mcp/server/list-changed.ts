/** Something told when the list of available tools changes (an MCP server with an open GET stream). */
export interface ListListener {
  toolListChanged(): void;
  /** Ends the stream (the server is draining: a client reconnects to another replica). */
  close(): void;
}

/**
 * Tells the clients that asked to be told (an open standalone SSE stream, GET /mcp) that the
 * available tools changed: their names are compared every `everyMs` while anyone listens. Each
 * replica watches its own registry, which already follows what changes availability (tool-worker
 * presence read from the store, ffmpeg), so a client is told by whichever replica holds its stream.
 */
/** Why `add` refused: the process holds its most streams, or this owner holds its share of them. */
export type WatchRefusal = "full" | "owner_full";

export class ToolListWatch {
  private readonly listeners = new Set<ListListener>();
  /** Open streams per owner, so one caller cannot take every slot and starve the others. */
  private readonly perOwner = new Map<string, number>();
  private readonly owners = new Map<ListListener, string>();
  private timer: NodeJS.Timeout | undefined;
  private last = "";

  constructor(
    private readonly availableNames: () => string[],
    private readonly everyMs = 1_000,
    /** Open streams at most in this process; past it, `add` refuses. */
    readonly maxListeners = 1_000,
    /** True once the server drains: open streams are ended rather than held to the deadline. */
    private readonly stopping: () => boolean = () => false,
    /** Open streams at most per owner; past it, `add` refuses that owner only. */
    readonly maxPerOwner = 16,
  ) {}

  /** Starts telling a listener; a refusal when the process, or this owner, already holds the most streams it may. */
  add(listener: ListListener, owner: string): WatchRefusal | undefined {
    if (this.listeners.size >= this.maxListeners) return "full";
    const held = this.perOwner.get(owner) ?? 0;
    if (held >= this.maxPerOwner) return "owner_full";
    this.perOwner.set(owner, held + 1);
    this.owners.set(listener, owner);
    this.listeners.add(listener);
    if (!this.timer) {
      this.last = this.signature();
      this.timer = setInterval(() => this.check(), this.everyMs);
      this.timer.unref();
    }
    return undefined;
  }

  remove(listener: ListListener): void {
    if (!this.listeners.delete(listener)) return;
    const owner = this.owners.get(listener) ?? "";
    this.owners.delete(listener);
    const held = (this.perOwner.get(owner) ?? 1) - 1;
    if (held > 0) this.perOwner.set(owner, held);
    else this.perOwner.delete(owner);
    if (this.listeners.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Compares now (the timer does it every second; tests may call it). */
  check(): void {
    if (this.stopping()) {
      for (const listener of [...this.listeners]) listener.close();
      return;
    }
    const now = this.signature();
    if (now === this.last) return;
    this.last = now;
    for (const listener of this.listeners) listener.toolListChanged();
  }

  private signature(): string {
    return this.availableNames().sort().join("\n");
  }
}
