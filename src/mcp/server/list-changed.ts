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
export class ToolListWatch {
  private readonly listeners = new Set<ListListener>();
  private timer: NodeJS.Timeout | undefined;
  private last = "";

  constructor(
    private readonly availableNames: () => string[],
    private readonly everyMs = 1_000,
    /** Open streams at most in this process; past it, `add` refuses. */
    readonly maxListeners = 1_000,
    /** True once the server drains: open streams are ended rather than held to the deadline. */
    private readonly stopping: () => boolean = () => false,
  ) {}

  /** Starts telling a listener; false when the process already holds the most streams it takes. */
  add(listener: ListListener): boolean {
    if (this.listeners.size >= this.maxListeners) return false;
    this.listeners.add(listener);
    if (!this.timer) {
      this.last = this.signature();
      this.timer = setInterval(() => this.check(), this.everyMs);
      this.timer.unref();
    }
    return true;
  }

  remove(listener: ListListener): void {
    this.listeners.delete(listener);
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
