import type { Caller } from "../../identity/caller.js";
import type { Surface } from "../../observability/metrics.js";
import { requestIdFrom } from "../../service/context.js";
import { headerOf, type NodeRequest, type NodeResponse, pathOf } from "./types.js";

/** Reads request headers by name, the way Fetch's `Headers` does: what identity and tracing need. */
export type HeaderReader = Pick<Headers, "get">;

/**
 * One HTTP request on its way through the pipeline: the node request and response, and what the
 * middleware learn about it (its id, its route, its caller). Passed along, never stored globally.
 */
export interface Exchange {
  readonly req: NodeRequest;
  readonly res: NodeResponse;
  readonly path: string;
  /** The caller's X-Request-Id when it is safe to echo, else a new one; on every response. */
  readonly requestId: string;
  readonly header: HeaderReader;
  /** Which surface served it, for metrics and logs (set by the RPC middleware for RPCs). */
  surface: Surface;
  /** The route's name once routed (metrics label), "unmatched" until then. */
  route: string;
  /** Who is calling, once the identity middleware ran (REST /v1 routes). */
  caller?: Caller;
  /** What the service adds to this request's access-log line. */
  readonly logFields: Record<string, unknown>;
}

const kExchange = Symbol("orion.exchange");

/** The exchange for a request; the request carries it across the Connect adapter's boundary. */
export function createExchange(req: NodeRequest, res: NodeResponse): Exchange {
  const exchange: Exchange = {
    req,
    res,
    path: pathOf(req),
    requestId: requestIdFrom(headerOf(req, "x-request-id")),
    header: { get: (name) => headerOf(req, name.toLowerCase()) ?? null },
    surface: "http",
    route: "unmatched",
    logFields: {},
  };
  Object.defineProperty(req, kExchange, { value: exchange });
  return exchange;
}

/** The exchange a request belongs to (the RPC adapter hands callbacks only the request). */
export function exchangeOf(req: NodeRequest): Exchange | undefined {
  return (req as unknown as { [kExchange]?: Exchange })[kExchange];
}
