import { cors as connectCors } from "@connectrpc/connect";
import type { Middleware } from "../http/compose.js";
import { headerOf, type NodeRequest, type NodeResponse, writable } from "../http/types.js";

/** Headers browsers may send beyond Connect's own: auth, guest identity, tracing. */
const EXTRA_ALLOWED = [
  "Authorization",
  "X-Browser-Id",
  "X-Browser-Fingerprint",
  "X-Request-Id",
  // MCP's Streamable HTTP (browser clients such as the Inspector's web UI).
  "Mcp-Session-Id",
  "Mcp-Protocol-Version",
  "Last-Event-ID",
];
/** Headers browsers may read beyond Connect's own: tracing and rate limits. */
const EXTRA_EXPOSED = ["X-Request-Id", "Retry-After", "RateLimit", "RateLimit-Policy", "Mcp-Session-Id"];

const ALLOW_METHODS = [...new Set([...connectCors.allowedMethods, "GET", "POST", "DELETE", "OPTIONS"])].join(
  ", ",
);
const ALLOW_HEADERS = [...connectCors.allowedHeaders, ...EXTRA_ALLOWED].join(", ");
const EXPOSE_HEADERS = [...connectCors.exposedHeaders, ...EXTRA_EXPOSED].join(", ");

/**
 * CORS for Connect-Web, gRPC-Web and REST callers on other origins. Auth is a bearer header, never
 * a cookie, so credentials are not allowed and `*` is a safe default; set ORION_CORS_ORIGINS to
 * an allow-list in production. Returns true when the request was a preflight and is answered.
 */
export function createCors(origins: string[]) {
  const any = origins.includes("*");
  const allowed = new Set(origins);
  return function applyCors(req: NodeRequest, res: NodeResponse): boolean {
    const origin = headerOf(req, "origin");
    if (origin === undefined) return false;
    const w = writable(res);
    w.setHeader("vary", "Origin");
    if (!any && !allowed.has(origin)) return false;
    w.setHeader("access-control-allow-origin", any ? "*" : origin);
    w.setHeader("access-control-expose-headers", EXPOSE_HEADERS);
    if (req.method !== "OPTIONS" || headerOf(req, "access-control-request-method") === undefined)
      return false;
    w.writeHead(204, {
      "access-control-allow-methods": ALLOW_METHODS,
      "access-control-allow-headers": ALLOW_HEADERS,
      "access-control-max-age": "7200",
      "content-length": "0",
    });
    w.end();
    return true;
  };
}

/** CORS as a pipeline step: a preflight is answered here; other requests go on with their headers set. */
export function cors(origins: string[]): Middleware {
  const apply = createCors(origins);
  return (x, next) => (apply(x.req, x.res) ? undefined : next());
}
