import type http from "node:http";
import { drained } from "../../http/drained.js";
import { type NodeResponse, writable } from "../../http/types.js";

export interface SseOptions {
  /** Read when the first event goes out, so headers the service set by then are included. */
  headers: () => Record<string, string>;
  /** A client that takes nothing for this long is cut off (the stream ends, its upstream with it). */
  stallTimeoutMs: number;
  onStall?: () => void;
}

/**
 * Server-Sent Events for the OpenAI stream: headers go out with the first event (so an error
 * before it can still be a JSON error with its real status), one `data:` line per event, no
 * comment keep-alives, backpressure honoured: a client that stops reading holds the stream (and so
 * its upstream), and one that takes nothing for `stallTimeoutMs` is cut off. Events written in the
 * same turn of the event loop leave in one write (corked until setImmediate): an upstream read
 * often holds several deltas.
 */
export class SseWriter {
  private started = false;
  private corked = false;
  private waiting: Promise<void> | undefined;

  constructor(
    private readonly res: NodeResponse,
    private readonly options: SseOptions,
  ) {}

  get hasStarted(): boolean {
    return this.started;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    writable(this.res).writeHead(200, {
      ...this.options.headers(),
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    });
  }

  /**
   * Writes one event. Returns a promise when the socket is full (it resolves once the socket can
   * take more), else nothing: a stream whose client keeps up makes no promise per event.
   */
  data(payload: string): Promise<void> | undefined {
    return this.write(`data: ${payload}\n\n`);
  }

  /** An event with an `id:` (what `Last-Event-ID` resumes from; none when empty) and an `event:` type. */
  event(id: string, type: string, payload: string): Promise<void> | undefined {
    return this.write(`${id ? `id: ${id}\n` : ""}event: ${type}\ndata: ${payload}\n\n`);
  }

  private write(text: string): Promise<void> | undefined {
    this.start();
    const w = writable(this.res);
    if (w.destroyed || w.writableEnded) return undefined;
    this.cork();
    return w.write(text) ? undefined : this.whenDrained(w);
  }

  /** Ends the stream without the OpenAI `[DONE]` line. */
  end(): void {
    this.start();
    writable(this.res).end();
  }

  /**
   * Until the client took what was written, or the response closed, or the stall deadline cut it:
   * one wait however many events are written while the socket is full.
   */
  private whenDrained(w: http.ServerResponse): Promise<void> {
    this.waiting ??= drained(w, this.options.stallTimeoutMs, this.options.onStall).then(() => {
      this.waiting = undefined;
    });
    return this.waiting;
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

  /** The OpenAI `[DONE]` line, then the end (once the socket took the line). */
  async done(): Promise<void> {
    const full = this.data("[DONE]");
    if (full) await full;
    writable(this.res).end();
  }
}
