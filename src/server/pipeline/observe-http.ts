import type { Logger } from "../../observability/logger.js";
import type { Metrics } from "../../observability/metrics.js";
import type { Middleware } from "../http/compose.js";
import { recordRequest } from "../http/record-request.js";

/** Metrics and one access-log line for every request the RPC surfaces did not take, when it closes. */
export function observeHttp(metrics: Metrics, logger: Logger): Middleware {
  return (x, next) => {
    const started = performance.now();
    x.res.once("close", () => {
      if (x.surface !== "rest" && x.surface !== "http") return; // an RPC: its interceptor recorded it
      const seconds = (performance.now() - started) / 1000;
      const line = {
        req_id: x.requestId,
        surface: x.surface,
        method: x.route,
        status: String(x.res.statusCode),
        seconds,
      };
      const fields: Record<string, unknown> = x.logFields;
      fields.status = x.res.statusCode;
      if (!x.res.writableFinished) fields.aborted = true;
      recordRequest(metrics, logger, line, fields, "http");
    });
    return next();
  };
}
