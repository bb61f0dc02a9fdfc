/**
 * The tool calls in flight in this process, by caller and JSON-RPC request id. Over Streamable
 * HTTP a client's `notifications/cancelled` arrives in a POST of its own, which (stateless: a
 * fresh server per request) never meets the server running the call: it is looked up here. A
 * cancellation that reaches another replica finds nothing; the call then ends when the client
 * closes its stream, as a disconnect does.
 */
export class Cancellations {
  private readonly running = new Map<string, AbortController>();

  /** How many calls are in flight (for tests and metrics). */
  get size(): number {
    return this.running.size;
  }

  /** Registers a call; its signal aborts on a matching cancellation. Call the returned function when it ends. */
  begin(owner: string, requestId: string | number): { signal: AbortSignal; end: () => void } {
    const key = keyOf(owner, requestId);
    const controller = new AbortController();
    // A client reusing an id while the first call runs: the later call is the one a cancel names.
    this.running.set(key, controller);
    return {
      signal: controller.signal,
      end: () => {
        if (this.running.get(key) === controller) this.running.delete(key);
      },
    };
  }

  /** Aborts the caller's call with that id, if it runs here. Another caller's ids are out of reach. */
  cancel(owner: string, requestId: string | number, reason?: string): boolean {
    const controller = this.running.get(keyOf(owner, requestId));
    controller?.abort(new Error(reason ? `cancelled by the client: ${reason}` : "cancelled by the client"));
    return controller !== undefined;
  }
}

function keyOf(owner: string, requestId: string | number): string {
  return `${owner}\n${typeof requestId}:${requestId}`;
}
