import type { Middleware } from "../http/compose.js";
import { simpleHttpError } from "../http/http-error.js";
import { sendHttpError } from "../http/respond.js";
import { writable } from "../http/types.js";
import type { Lifecycle } from "../lifecycle.js";

/** While draining, new requests get a clear 503 (health paths still answer, so probes see it). */
export function refuseWhileDraining(lifecycle: Lifecycle, healthPaths: ReadonlySet<string>): Middleware {
  return (x, next) => {
    if (!lifecycle.draining || healthPaths.has(x.path)) return next();
    if (x.req.httpVersionMajor === 1) writable(x.res).setHeader("connection", "close");
    sendHttpError(x.res, simpleHttpError(503, "shutting_down", "the server is shutting down"));
    return undefined;
  };
}
