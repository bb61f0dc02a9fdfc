import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
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

/**
 * One cleartext port for every protocol: a connection that opens with the HTTP/2 preface goes to
 * the h2c server (gRPC, Connect, REST over h2c), any other to the HTTP/1.1 server (Connect,
 * gRPC-Web, REST, browsers). Node's `allowHTTP1` only works with TLS, hence the sniffing.
 */
export function createOnePortServer(handler: NodeHandler): OnePortServer {
  const h1 = http.createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000 }, handler);
  const h2 = http2.createServer({}, handler);
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  // A malformed request must not take anything else down.
  h1.on("clientError", (_error, socket) => {
    if (socket.writable)
      socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });
  h2.on("sessionError", () => {});

  // Small SSE and gRPC frames must leave at once: no Nagle (http.createServer sets this itself, but
  // these sockets come from our own net.Server).
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const route = () => {
      const head: Buffer | null = socket.read();
      if (head === null) {
        socket.once("readable", route);
        return;
      }
      socket.unshift(head);
      // Still a prefix of the preface but too short to decide: wait for more bytes.
      if (head.length < PREFACE.length && head.equals(PREFACE.subarray(0, head.length))) {
        socket.once("readable", route);
        return;
      }
      (head.subarray(0, PREFACE.length).equals(PREFACE) ? h2 : h1).emit("connection", socket);
    };
    socket.once("readable", route);
  });

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
