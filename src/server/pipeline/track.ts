import type { Middleware } from "../http/compose.js";
import { writable } from "../http/types.js";
import type { Lifecycle } from "../lifecycle.js";

/** Counts the request as in flight until its response closes (graceful drain waits on these). */
export function track(lifecycle: Lifecycle): Middleware {
  return (x, next) => {
    x.res.once("close", lifecycle.begin());
    return next();
  };
}

/** Echoes the request id on every response: RPCs, REST, health, playground, 404s. */
export const echoRequestId: Middleware = (x, next) => {
  writable(x.res).setHeader("x-request-id", x.requestId);
  return next();
};
