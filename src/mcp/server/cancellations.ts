/**
 * The tool calls in flight in this process, by client and JSON-RPC request id. Over Streamable
 * HTTP a client's `notifications/cancelled` arrives in a POST of its own, which (stateless: a
 * fresh server per request) never meets the server running the call: it is looked up here. A
 * cancellation that reaches another replica finds nothing; the call then ends when the client
 * closes its stream, as a disconnect does. Stateless requests carry no session id, so a client
 * is its caller and User-Agent: two clients of one caller that share both, and run calls with the
 * same id at once, can cancel each other's (never another caller's).
 */
export class Cancellations {
  private readonly running = new Map<string, AbortController>();

  /** Registers a call; its signal aborts on a matching cancellation. Call the returned function when it ends. */
  begin(client: string, requestId: string | number): { signal: AbortSignal; end: () => void } {
    const key = keyOf(client, requestId);
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
  cancel(client: string, requestId: string | number, reason?: string): boolean {
    const controller = this.running.get(keyOf(client, requestId));
    controller?.abort(new Error(reason ? `cancelled by the client: ${reason}` : "cancelled by the client"));
    return controller !== undefined;
  }
}

function keyOf(client: string, requestId: string | number): string {
  return `${client}\n${typeof requestId}:${requestId}`;
}
