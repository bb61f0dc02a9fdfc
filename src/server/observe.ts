import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../observability/logger.js";
import type { Metrics, Surface } from "../observability/metrics.js";
import { kLogFields, kRequestId } from "../service/context.js";
import type { Middleware } from "./http/compose.js";

/** Which RPC protocol a call uses, from its content type. */
export function rpcSurface(contentType: string | null | undefined): Surface {
  if (!contentType) return "connect";
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

interface RequestLine {
  req_id: string;
  surface: Surface;
  method: string;
  status: string;
  seconds: number;
}

/**
 * One finished request: its counter, its latency and one access-log line, on every surface. The
 * line is `fields` (what the service added, which it takes over) with the request's own on top.
 */
function record(
  metrics: Metrics,
  logger: Logger,
  line: RequestLine,
  fields: Record<string, unknown>,
  msg: string,
) {
  const { surface, method, status, seconds } = line;
  const labels = { surface, method, status };
  metrics.requests.inc(labels);
  metrics.requestSeconds.observe(labels, seconds);
  fields.req_id = line.req_id;
  fields.surface = surface;
  fields.method = method;
  fields.status ??= status;
  fields.ms = Math.round(seconds * 1e4) / 10;
  logger.info(fields, msg);
}

/** Metrics, one access-log line and the X-Request-Id echo for every RPC, streams included. */
export function observeRpc(metrics: Metrics, logger: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const surface = rpcSurface(req.header.get("content-type"));
    const method = req.method.name;
    const requestId = req.contextValues.get(kRequestId);
    const finish = (error?: unknown) => {
      const status = error === undefined ? "ok" : Code[ConnectError.from(error).code];
      const seconds = (performance.now() - started) / 1000;
      // What the service added to this call's line (a chat's caller, tokens, outcome), if anything.
      const fields = req.contextValues.get(kLogFields) ?? {};
      if (error !== undefined) fields.err = ConnectError.from(error).rawMessage;
      record(metrics, logger, { req_id: requestId, surface, method, status, seconds }, fields, "rpc");
    };
    try {
      const res = await next(req);
      res.header.set("x-request-id", requestId);
      if (!res.stream) {
        finish();
        return res;
      }
      metrics.inflightStreams.inc({ surface });
      const source = res.message;
      async function* observed() {
        let failure: unknown;
        try {
          yield* source;
        } catch (error) {
          failure = error;
          throw error;
        } finally {
          metrics.inflightStreams.dec({ surface });
          finish(failure);
        }
      }
      return { ...res, message: observed() };
    } catch (error) {
      finish(error);
      throw error;
    }
  };
}

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
      record(metrics, logger, line, fields, "http");
    });
    return next();
  };
}
