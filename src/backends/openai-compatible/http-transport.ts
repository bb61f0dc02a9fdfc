import http from "node:http";
import https from "node:https";
import { Code, ConnectError } from "@connectrpc/connect";
import { Reason, reasonError, upstreamCause } from "../../errors.js";

/** A streamed upstream response; `body` must be consumed or destroyed. */
export interface UpstreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

export interface HttpTransportOptions {
  maxSockets: number;
  /** Socket inactivity limit: waiting for headers, and between two body bytes. */
  timeoutMs: number;
}

class UpstreamTimeout extends Error {}

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ETIMEDOUT",
]);

/**
 * POSTs JSON to one upstream origin over pooled keep-alive connections (node:http, not global
 * fetch: the peer measurements found fetch at a quarter of the throughput). Aborting the signal
 * destroys the request and the response.
 */
export class HttpTransport {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly options: HttpTransportOptions,
  ) {
    this.base = new URL(baseUrl);
    const secure = this.base.protocol === "https:";
    // noDelay: streamed deltas are small and must not wait for Nagle.
    const agentOptions = {
      keepAlive: true,
      noDelay: true,
      maxSockets: options.maxSockets,
      scheduling: "lifo" as const,
    };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.request = secure ? https.request : http.request;
  }

  get origin(): string {
    return this.base.origin;
  }

  post(path: string, payload: string, headers: Record<string, string>, signal: AbortSignal) {
    return new Promise<UpstreamResponse>((resolve, reject) => {
      if (signal.aborted) {
        reject(this.classify(signal.reason, signal));
        return;
      }
      const attempt = (mayRetry: boolean) => {
        const req = this.request({
          agent: this.agent,
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          path: this.base.pathname.replace(/\/$/, "") + path,
          method: "POST",
          headers: {
            ...headers,
            "content-type": "application/json",
            "content-length": String(Buffer.byteLength(payload)),
          },
        });
        let response: http.IncomingMessage | undefined;
        const onAbort = () => {
          const reason = signal.reason ?? new Error("aborted");
          response?.destroy(reason);
          req.destroy(reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        const release = () => signal.removeEventListener("abort", onAbort);
        req.setTimeout(this.options.timeoutMs, () => {
          const timeout = new UpstreamTimeout();
          response?.destroy(timeout);
          req.destroy(timeout);
        });
        req.on("response", (res) => {
          response = res;
          res.once("close", release);
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: res });
        });
        req.on("error", (error: NodeJS.ErrnoException) => {
          if (response) return; // surfaces through the response body instead
          release();
          // A pooled socket the upstream closed while idle: safe to replay once (nothing was answered).
          if (mayRetry && req.reusedSocket && error.code === "ECONNRESET" && !signal.aborted) {
            attempt(false);
            return;
          }
          reject(this.classify(error, signal));
        });
        req.end(payload);
      };
      attempt(true);
    });
  }

  /** Turns a socket-level failure (or our own abort) into the error the caller should see. */
  classify(error: unknown, signal: AbortSignal, midResponse = false): ConnectError {
    if (error instanceof ConnectError) return error;
    if (signal.aborted) return ConnectError.from(signal.reason ?? error, Code.Canceled);
    if (error instanceof UpstreamTimeout) {
      return reasonError(
        Code.DeadlineExceeded,
        Reason.upstreamTimeout,
        `the model backend sent nothing for ${this.options.timeoutMs} ms (ORION_LLM_TIMEOUT_MS)`,
        { cause: upstreamCause(this.origin, error) },
      );
    }
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
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
    this.agent.destroy();
  }
}

/** Reads a whole body, refusing more than `limit` bytes. (Events, not `for await`: cheaper per call.) */
export function readBody(body: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
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
    body.once("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    body.once("error", reject);
    body.once("close", () => {
      if (!body.complete) reject(new Error("upstream closed the response early"));
    });
  });
}
