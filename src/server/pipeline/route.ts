import type { Logger } from "../../observability/logger.js";
import type { Middleware } from "../http/compose.js";
import { simpleHttpError } from "../http/http-error.js";
import { sendHttpError } from "../http/respond.js";
import { writable } from "../http/types.js";
import type { Router } from "../router.js";

/** The last step: the matching route answers; otherwise a 404 or 405; a throw is a logged 500. */
export function route(router: Router, logger: Logger): Middleware {
  return async (x) => {
    const method = x.req.method ?? "GET";
    const match = router.match(method, x.path);
    if (!match) {
      sendHttpError(x.res, simpleHttpError(404, "not_found", `no route for ${method} ${x.path}`));
      return;
    }
    if (!("handler" in match)) {
      writable(x.res).setHeader("allow", match.allowed.join(", "));
      sendHttpError(
        x.res,
        simpleHttpError(405, "method_not_allowed", `${method} is not allowed on ${x.path}`),
      );
      return;
    }
    x.route = match.name;
    try {
      await match.handler(x, match.params);
    } catch (error) {
      logger.error({ req_id: x.requestId, err: error }, "unhandled error in route");
      if (!x.res.headersSent)
        sendHttpError(x.res, simpleHttpError(500, "internal_error", "internal server error"));
      else writable(x.res).destroy();
    }
  };
}
