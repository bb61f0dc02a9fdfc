import type http from "node:http";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

/** The request/response pair of both the HTTP/1.1 and the HTTP/2 server (the adapter's own type). */
export type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;
export type NodeRequest = Parameters<NodeHandler>[0];
export type NodeResponse = Parameters<NodeHandler>[1];

/**
 * Http2ServerResponse implements the same writeHead/setHeader/write/end surface as
 * http.ServerResponse, but TypeScript cannot unify their overloads, so writes go through this view.
 */
export function writable(res: NodeResponse): http.ServerResponse {
  return res as http.ServerResponse;
}

export function headerOf(req: NodeRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function pathOf(req: NodeRequest): string {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}
