import type { CallerResolver } from "../../identity/resolve-caller.js";
import { hintsFromHeaders } from "../http/caller-hints.js";
import type { Middleware } from "../http/compose.js";
import { httpErrorOf } from "../http/http-error.js";
import { sendHttpError } from "../http/respond.js";

/** REST API routes (/v1/…) and /mcp: the caller is resolved from the headers before any body is read. */
export function identifyRest(resolver: CallerResolver): Middleware {
  return async (x, next) => {
    if (!x.path.startsWith("/v1/") && x.path !== "/mcp") return next();
    try {
      x.caller = await resolver.resolve(hintsFromHeaders(x.header, x.req.socket.remoteAddress));
    } catch (error) {
      sendHttpError(x.res, httpErrorOf(error));
      return;
    }
    return next();
  };
}
