import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { ConnectionLimits } from "../config.js";
import type { NodeHandler } from "./http/types.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface OnePortServer {
  readonly net: net.Server;
  readonly h1: http.Server;
  readonly h2: http2.Http2Server;
  /** Ask open connections to wind down: close idle keep-alives, GOAWAY to h2c sessions. */
  windDown(): void;
  /** Stop listening and destroy every socket still open. */
  closeAll(): Promise<void>;
}

/** Why the server ended a connection itself (the `reason` label of the closes it counts). */
export type CloseReason =
  | "sniff_timeout"
  | "headers_timeout"
  | "request_timeout"
  | "bad_request"
  | "idle"
  | "write_stall"
  | "h2_error";

export interface OnePortOptions {
  limits: ConnectionLimits;
  /** Called for each connection refused because `maxConnections` were open. */
  onRefused?: () => void;
  /** Called once for each connection the server ends itself, with why. */
  onClosed?: (reason: CloseReason) => void;
  /** Called with +1 when a connection is accepted and -1 when it is gone, whoever ended it. */
  onOpenChange?: (delta: 1 | -1) => void;
}

type Protocol = "h1" | "h2" | "undecided";

/**
 * Which server the first bytes belong to. The HTTP/2 preface is 24 bytes, but any byte that
 * departs from it decides for HTTP/1 at once, so a request's first byte alone routes all but
 * "P…" methods, and "PO"/"PU"/"PA" route on the second.
 */
export function protocolOf(head: Buffer): Protocol {
  const n = Math.min(head.length, PREFACE.length);
  if (!head.subarray(0, n).equals(PREFACE.subarray(0, n))) return "h1";
  return n === PREFACE.length ? "h2" : "undecided";
}

/**
 * One cleartext port for every protocol: a connection that opens with the HTTP/2 preface goes to
 * the h2c server (gRPC, Connect, REST over h2c), any other to the HTTP/1.1 server (Connect,
 * gRPC-Web, REST, browsers). Node's `allowHTTP1` only works with TLS, hence the sniffing.
 */
export function createOnePortServer(handler: NodeHandler, options: OnePortOptions): OnePortServer {
  const { limits } = options;
  const closed = (reason: CloseReason) => options.onClosed?.(reason);
  const h1 = http.createServer(
    {
      keepAliveTimeout: limits.idleTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
      // Node checks the two deadlines above on this interval; keep it well under the shortest.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    handler,
  );
  const h2 = http2.createServer(
    // Node refuses streams beyond the advertised limit with REFUSED_STREAM.
    { settings: { maxConcurrentStreams: limits.h2MaxConcurrentStreams } },
    handler,
  );
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const watchSession = (session: http2.ServerHttp2Session, socket: net.Socket) => {
    sessions.add(session);
    // However a session ends (our GOAWAY, a protocol error, the client's), its socket goes too.
    session.once("close", () => {
      sessions.delete(session);
      destroyAfter(socket, limits.closeGraceMs);
    });
    const end = (reason: CloseReason) => {
      closed(reason);
      session.close();
      destroyAfter(socket, limits.closeGraceMs);
    };
    closeWhenIdle(session, limits, end);
  };
  h2.on("stream", (stream) => deadlineForRequest(stream, limits.requestTimeoutMs));
  // A session Node ended on an error of its own; a client's reset is the client leaving.
  h2.on("sessionError", (error: NodeJS.ErrnoException) => {
    if (error.code !== "ECONNRESET" && error.code !== "EPIPE") closed("h2_error");
  });

  // The exchange last begun on each HTTP/1 connection: a deadline hit before its request is
  // complete is the request (body) deadline, otherwise the headers deadline of the next one.
  const current = new WeakMap<object, { req: http.IncomingMessage; res: http.ServerResponse }>();
  h1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) =>
    current.set(req.socket, { req, res }),
  );
  // A malformed request must not take anything else down.
  h1.on("clientError", (error: NodeJS.ErrnoException, socket: net.Socket) => {
    if (!socket.writable || error.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const exchange = current.get(socket);
    const reason = clientErrorReason(error, exchange?.req);
    closed(reason);
    // A status line written into a response already under way would corrupt it: then only end.
    if (exchange?.res.headersSent && !exchange.res.writableEnded) socket.end();
    else socket.end(`HTTP/1.1 ${STATUS_LINES[reason]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    destroyAfter(socket, limits.closeGraceMs);
  });

  // Small SSE and gRPC frames must leave at once: no Nagle (http.createServer sets this itself, but
  // these sockets come from our own net.Server).
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    options.onOpenChange?.(1);
    socket.once("close", () => {
      sockets.delete(socket);
      options.onOpenChange?.(-1);
    });
    socket.on("error", () => socket.destroy());
    const giveUp = () => closed("sniff_timeout");
    routeByPreface(socket, limits.sniffTimeoutMs, giveUp, (protocol) => {
      if (protocol === "h2") {
        // The h2 session takes the buffered bytes and then reads the handle itself; Node emits
        // "session" during this call.
        h2.once("session", (session) => watchSession(session, socket));
        h2.emit("connection", socket);
        return;
      }
      // Node's keep-alive deadline is the socket's timeout, and Node destroys the socket on it.
      socket.once("timeout", () => closed("idle"));
      h1.emit("connection", socket);
      socket.resume();
    });
  });
  const stalls = watchWriteStalls(sockets, limits.writeStallMs, (socket) => {
    closed("write_stall");
    socket.destroy();
  });
  server.on("close", () => clearInterval(stalls));
  server.maxConnections = limits.maxConnections;
  server.on("drop", () => options.onRefused?.());
  // The HTTP/1 server never listens itself; its header and request deadlines are enforced by a
  // timer that Node starts on "listening".
  server.on("listening", () => h1.emit("listening"));
  server.on("close", () => h1.close());

  return {
    net: server,
    h1,
    h2,
    windDown() {
      h1.closeIdleConnections();
      for (const session of sessions) session.close();
    },
    closeAll() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
}

const STATUS_LINES: Partial<Record<CloseReason, string>> = {
  bad_request: "400 Bad Request",
  headers_timeout: "408 Request Timeout",
  request_timeout: "408 Request Timeout",
};

/** Why Node gave up on an HTTP/1 connection: its headers or its body took too long, or it is malformed. */
function clientErrorReason(error: NodeJS.ErrnoException, req: http.IncomingMessage | undefined): CloseReason {
  if (error.code !== "ERR_HTTP_REQUEST_TIMEOUT") return "bad_request";
  return req?.complete === false ? "request_timeout" : "headers_timeout";
}

/**
 * Reads the first bytes until they decide the protocol, then hands the socket on with those bytes
 * put back. Waits for new data events only (never re-reads what is buffered), and gives up on a
 * connection that does not decide within the deadline.
 */
function routeByPreface(
  socket: net.Socket,
  timeoutMs: number,
  giveUp: () => void,
  route: (protocol: "h1" | "h2") => void,
) {
  let head: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => {
    giveUp();
    socket.destroy();
  }, timeoutMs);
  const stop = () => {
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("close", stop);
  };
  const onData = (chunk: Buffer) => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const protocol = protocolOf(head);
    if (protocol === "undecided") return;
    stop();
    socket.pause();
    socket.unshift(head);
    route(protocol);
  };
  socket.on("data", onData);
  socket.once("close", stop);
}

/**
 * Ends an HTTP/2 session that has no open stream for too long: until its first stream, the headers
 * deadline (a preface, or a header block, that never completes), and after it the idle deadline
 * (which also ends a later header block left unfinished while nothing else is open).
 */
function closeWhenIdle(
  session: http2.ServerHttp2Session,
  limits: ConnectionLimits,
  end: (reason: CloseReason) => void,
) {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = (reason: CloseReason, ms: number) => {
    timer = setTimeout(() => end(reason), ms);
  };
  session.on("stream", (stream) => {
    open++;
    clearTimeout(timer);
    stream.once("close", () => {
      if (--open === 0 && !session.closed) arm("idle", limits.idleTimeoutMs);
    });
  });
  session.once("close", () => clearTimeout(timer));
  arm("headers_timeout", limits.headersTimeoutMs);
}

const doomed = new WeakSet<net.Socket>();

/**
 * Destroys a socket the server is done with after `graceMs`, whether or not the peer reads what
 * was last written or ever closes its side: a half-closed socket would otherwise stay for as long
 * as the peer keeps sending.
 */
function destroyAfter(socket: net.Socket, graceMs: number) {
  if (socket.destroyed || doomed.has(socket)) return;
  doomed.add(socket);
  const timer = setTimeout(() => socket.destroy(), graceMs);
  socket.once("close", () => clearTimeout(timer));
}

/**
 * Every socket with bytes queued that has let none of them out for `stallMs` is handed to
 * `stalled`: a reply sent whole (a large JSON body, an artifact, an RPC message) and then never
 * read would otherwise hold its memory for as long as the client keeps the connection open. One
 * sweep a second (or a quarter of the deadline) over the open sockets; progress is the queue
 * emptying or shrinking (our writers wait for it to drain before writing more).
 */
function watchWriteStalls(
  sockets: Set<net.Socket>,
  stallMs: number,
  stalled: (socket: net.Socket) => void,
): NodeJS.Timeout {
  const progress = new WeakMap<net.Socket, { queued: number; since: number }>();
  const timer = setInterval(
    () => {
      const now = performance.now();
      for (const socket of sockets) {
        const queued = socket.writableLength;
        const last = progress.get(socket);
        if (queued === 0 || !last || queued < last.queued) progress.set(socket, { queued, since: now });
        else if (queued > last.queued)
          last.queued = queued; // more written, none taken
        else if (now - last.since >= stallMs) stalled(socket);
      }
    },
    Math.max(50, Math.min(1_000, Math.floor(stallMs / 4))),
  );
  timer.unref();
  return timer;
}

/**
 * A stream whose client has not finished sending its request within the deadline is reset (slow
 * uploads). Judged by the stream's remote half, so a handler that never reads a body is not cut.
 */
function deadlineForRequest(stream: http2.ServerHttp2Stream, timeoutMs: number) {
  if (stream.endAfterHeaders) return;
  const timer = setTimeout(() => {
    if (!stream.destroyed && !stream.state.remoteClose) stream.close(http2.constants.NGHTTP2_CANCEL);
  }, timeoutMs);
  stream.once("close", () => clearTimeout(timer));
}
