import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { Code } from "@connectrpc/connect";
import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";
import { Reason, reasonError } from "../../errors.js";
import type { BackendStreamPart } from "../backend.js";
import { ChunkAssembler } from "./response-parse.js";

/** After [DONE], what the upstream may still send before its response ends, and how long it has. */
const DRAIN_BYTES = 64 * 1024;
const DRAIN_MS = 2_000;

/**
 * An upstream's streamed answer (OpenAI chunks as Server-Sent Events), read as it arrives and
 * handed out as backend stream parts, in batches: whatever one read produced.
 *
 * - The body is paused once the parts waiting for the consumer came from `pauseAt` bytes, so a slow
 *   client slows the upstream instead of filling memory; the whole stream is capped at `limit`
 *   bytes. Not at every part: each resume of an undici body reads the socket afresh, and pausing
 *   per event let the socket's buffer outgrow what the consumer took (megabytes per stalled stream).
 * - One decoder spans the reads, so a character whose bytes straddle two reads stays whole: a
 *   StringDecoder (a streaming TextDecoder makes an ICU converter per stream, a few µs each), with
 *   the byte-order mark a TextDecoder would drop dropped here.
 * - At [DONE] the answer is complete and `take` says so at once. The rest of the response (its
 *   end, normally) is drained in the background so the connection can serve again, within
 *   DRAIN_BYTES and DRAIN_MS; an upstream that keeps its response open after [DONE] is cut off,
 *   and never holds back the reply.
 * Events, not `for await` over the body: no async iterator and end-of-stream watcher per stream.
 */
export class UpstreamEvents {
  private pending: BackendStreamPart[] = [];
  private failure: unknown;
  private complete = false;
  private ended = false;
  private received = 0;
  /** Bytes read since the consumer last took the parts. */
  private waiting = 0;
  private drained = 0;
  private wake: (() => void) | undefined;
  private readonly decoder = new StringDecoder("utf8");
  private firstText = true;
  private readonly assembler = new ChunkAssembler();
  private readonly parser: EventSourceParser;

  constructor(
    private readonly body: Readable,
    private readonly limit: number,
    private readonly pauseAt: number,
  ) {
    this.parser = createParser({ onEvent: (event) => this.onEvent(event) });
    body.on("data", (chunk: Buffer) => this.onData(chunk));
    body.once("error", (error: Error) => this.fail(error));
    body.once("end", () => this.onEnd());
    body.once("close", () => this.onEnd());
  }

  /**
   * The parts that arrived since the last call, waiting for some if there are none; `undefined`
   * once the answer is complete ([DONE]). Parts that came before a failure are handed out first.
   */
  async take(): Promise<BackendStreamPart[] | undefined> {
    for (;;) {
      if (this.pending.length > 0) {
        const parts = this.pending;
        this.pending = [];
        this.waiting = 0;
        if (!this.complete && this.failure === undefined && this.body.isPaused()) this.body.resume();
        return parts;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.complete) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** The consumer is done: a complete answer's connection drains in the background, any other closes. */
  close(): void {
    if (this.ended) return;
    if (!this.complete || this.failure !== undefined) {
      this.body.destroy();
      return;
    }
    const cutOff = setTimeout(() => this.body.destroy(), DRAIN_MS);
    cutOff.unref();
    this.body.once("close", () => clearTimeout(cutOff));
    this.body.resume();
  }

  private onData(chunk: Buffer): void {
    if (this.complete || this.failure !== undefined) {
      this.drained += chunk.length;
      if (this.drained > DRAIN_BYTES) this.body.destroy();
      return;
    }
    this.received += chunk.length;
    if (this.received > this.limit) {
      this.fail(
        reasonError(
          Code.Unavailable,
          Reason.upstreamError,
          `upstream stream is larger than ${this.limit} bytes`,
        ),
      );
      this.body.destroy();
      return;
    }
    this.waiting += chunk.length;
    this.parser.feed(this.decode(chunk));
    if (this.pending.length > 0 || this.complete || this.failure !== undefined) {
      if (!this.complete && this.waiting >= this.pauseAt) this.body.pause();
      this.notify();
    }
  }

  private decode(chunk: Buffer): string {
    const text = this.decoder.write(chunk);
    if (!this.firstText || text === "") return text;
    this.firstText = false;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  private onEvent(event: EventSourceMessage): void {
    if (this.complete || this.failure !== undefined) return;
    if (event.data === "[DONE]") {
      this.complete = true;
      return;
    }
    try {
      for (const part of this.assembler.parts(JSON.parse(event.data))) this.pending.push(part);
    } catch (error) {
      this.failure = error;
    }
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.complete) this.fail(new Error("the stream ended before [DONE]"));
  }

  /** Once [DONE] came, nothing (a reset or a cut-off while draining) can fail the answer. */
  private fail(error: unknown): void {
    if (this.complete) return;
    this.failure ??= error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
