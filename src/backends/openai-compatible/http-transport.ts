import type { Readable } from "node:stream";
import { Code, ConnectError } from "@connectrpc/connect";
import { Pool } from "undici";
import { Reason, reasonError, upstreamCause } from "../../errors.js";

/** A streamed upstream response; `body` must be consumed or destroyed. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

export interface HttpTransportOptions {
  maxSockets: number;
  /** Inactivity limit: waiting for headers, and between two body bytes. */
  timeoutMs: number;
}

/** undici's own timeouts: no headers in time, or a body that went quiet. */
const TIMEOUTS = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
]);

/** The errno-like code of a failure: undici puts the socket's own error in `cause`. */
function codeOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const own = typeof e?.code === "string" ? e.code : undefined;
  const cause = typeof e?.cause?.code === "string" ? e.cause.code : undefined;
  return own === "UND_ERR_SOCKET" || own === undefined ? (cause ?? own) : own;
}

/**
 * POSTs JSON to one upstream origin over pooled keep-alive connections with undici's `Pool`
 * (measured against node:http's Agent on the same fake upstream: 13–18 µs less CPU per call; global
 * fetch was a quarter of the throughput in the peer measurements). Aborting the signal destroys
 * the request and the response.
 */
export class HttpTransport {
  private readonly pool: Pool;
  private readonly base: URL;
  private readonly prefix: string;

  constructor(
    baseUrl: string,
    private readonly options: HttpTransportOptions,
  ) {
    this.base = new URL(baseUrl);
    this.prefix = this.base.pathname.replace(/\/$/, "");
    this.pool = new Pool(this.base.origin, {
      connections: options.maxSockets,
      pipelining: 1,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      // Streamed deltas are small and must not wait for Nagle.
      connect: { noDelay: true },
    });
  }

  get origin(): string {
    return this.base.origin;
  }

  async post(path: string, payload: string, headers: Record<string, string>, signal: AbortSignal) {
    if (signal.aborted) throw this.classify(signal.reason, signal);
    try {
      const response = await this.pool.request({
        path: this.prefix + path,
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: payload,
        signal,
      });
      return {
        status: response.statusCode,
        headers: response.headers,
        body: response.body,
      } satisfies UpstreamResponse;
    } catch (error) {
      throw this.classify(error, signal);
    }
  }

  /** Turns a socket-level failure (or our own abort) into the error the caller should see. */
  classify(error: unknown, signal: AbortSignal, midResponse = false): ConnectError {
    if (error instanceof ConnectError) return error;
    if (signal.aborted) return ConnectError.from(signal.reason ?? error, Code.Canceled);
    const code = codeOf(error);
    if (code !== undefined && TIMEOUTS.has(code)) {
      return reasonError(
        Code.DeadlineExceeded,
        Reason.upstreamTimeout,
        `the model backend sent nothing for ${this.options.timeoutMs} ms (ORION_LLM_TIMEOUT_MS)`,
        { cause: upstreamCause(this.origin, error) },
      );
    }
    if (midResponse) {
      return reasonError(
        Code.Unavailable,
        Reason.upstreamError,
        `the model backend broke off its response (${code ?? "connection closed"})`,
        { cause: upstreamCause(this.origin, error) },
      );
    }
    if (code !== undefined && UNREACHABLE.has(code)) {
      return reasonError(
        Code.Unavailable,
        Reason.upstreamUnavailable,
        `the model backend is unreachable (${code})`,
        { metadata: { errno: code }, cause: upstreamCause(this.origin, error) },
      );
    }
    return reasonError(
      Code.Unavailable,
      Reason.upstreamError,
      `upstream model call failed: ${String(error)}`,
      {
        cause: error,
      },
    );
  }

  close(): void {
    void this.pool.destroy();
  }
}

/** Reads a whole body, refusing more than `limit` bytes. (Events, not `for await`: cheaper per call.) */
export function readBody(body: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    body.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        body.destroy();
        reject(
          reasonError(
            Code.Unavailable,
            Reason.upstreamError,
            `upstream response is larger than ${limit} bytes`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    body.once("end", () => {
      ended = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    body.once("error", reject);
    body.once("close", () => {
      if (!ended) reject(new Error("upstream closed the response early"));
    });
  });
}
