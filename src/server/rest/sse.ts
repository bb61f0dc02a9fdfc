import { once } from "node:events";
import { type NodeResponse, writable } from "../http/types.js";

/**
 * Server-Sent Events for the OpenAI stream: headers go out with the first event (so an error
 * before it can still be a JSON error with its real status), one `data:` line per event, no
 * comment keep-alives, backpressure honoured. Events written in the same turn of the event loop
 * leave in one write (corked until setImmediate): an upstream read often holds several deltas.
 */
export class SseWriter {
  private started = false;
  private corked = false;

  constructor(
    private readonly res: NodeResponse,
    /** Read when the first event goes out, so headers the service set by then are included. */
    private readonly headers: () => Record<string, string>,
  ) {}

  get hasStarted(): boolean {
    return this.started;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    writable(this.res).writeHead(200, {
      ...this.headers(),
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    });
  }

  /** Writes one event; resolves when the socket can take more. */
  async data(payload: string): Promise<void> {
    this.start();
    const w = writable(this.res);
    if (w.destroyed || w.writableEnded) return;
    this.cork();
    if (!w.write(`data: ${payload}\n\n`)) {
      await Promise.race([once(w, "drain"), once(w, "close")]);
    }
  }

  /** Holds this tick's writes together; HTTP/2 responses have no cork and write as they come. */
  private cork(): void {
    const w = writable(this.res);
    if (this.corked || typeof w.cork !== "function") return;
    this.corked = true;
    w.cork();
    // After this turn's I/O callbacks and the promise chains they started: everything one upstream
    // read produced (often the last deltas, [DONE] and the end too) leaves in one write.
    setImmediate(() => {
      this.corked = false;
      w.uncork();
    });
  }

  async done(): Promise<void> {
    await this.data("[DONE]");
    writable(this.res).end();
  }
}
