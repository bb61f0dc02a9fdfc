import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../observability/logger.js";
import type { Metrics, Surface } from "../observability/metrics.js";
import { kRequestId } from "../service/context.js";
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

/** One finished request: its counter, its latency and one access-log line, on every surface. */
function record(
  metrics: Metrics,
  logger: Logger,
  line: RequestLine,
  extra: Record<string, unknown>,
  msg: string,
) {
  const { surface, method, status, seconds } = line;
  metrics.requests.inc({ surface, method, status });
  metrics.requestSeconds.observe({ surface, method, status }, seconds);
  logger.info(
    {
      req_id: line.req_id,
      surface,
      method,
      status,
      ms: Math.round(seconds * 1e4) / 10,
      ...extra,
    },
    msg,
  );
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
      const extra = error === undefined ? {} : { err: ConnectError.from(error).rawMessage };
      record(metrics, logger, { req_id: requestId, surface, method, status, seconds }, extra, "rpc");
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
      record(
        metrics,
        logger,
        line,
        { ...x.logFields, status: x.res.statusCode, ...(x.res.writableFinished ? {} : { aborted: true }) },
        "http",
      );
    });
    return next();
  };
}
