import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../observability/logger.js";
import type { Metrics, Surface } from "../observability/metrics.js";
import { kRequestId, requestIdFrom } from "../service/context.js";
import { headerOf, type NodeRequest, type NodeResponse } from "./http/types.js";

/** Which RPC protocol a call uses, from its content type. */
export function rpcSurface(contentType: string | null | undefined): Surface {
  if (!contentType) return "connect";
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

const requestIds = new WeakMap<object, string>();

/** The request id of a REST/HTTP request: the caller's X-Request-Id when safe, else a new one. */
export function restRequestId(req: NodeRequest): string {
  let id = requestIds.get(req);
  if (id === undefined) {
    id = requestIdFrom(headerOf(req, "x-request-id"));
    requestIds.set(req, id);
  }
  return id;
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
      metrics.requests.inc({ surface, method, status });
      metrics.requestSeconds.observe({ surface, method, status }, seconds);
      const line = { req_id: requestId, surface, method, status, ms: Math.round(seconds * 1e4) / 10 };
      if (error === undefined) logger.info(line, "rpc");
      else logger.info({ ...line, err: ConnectError.from(error).rawMessage }, "rpc");
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

/** Metrics and one access-log line for a REST/HTTP request, recorded when the response closes. */
export function observeHttp(
  req: NodeRequest,
  res: NodeResponse,
  route: string,
  metrics: Metrics,
  logger: Logger,
  surface: Surface,
): void {
  const started = performance.now();
  res.once("close", () => {
    const status = String(res.statusCode);
    const seconds = (performance.now() - started) / 1000;
    metrics.requests.inc({ surface, method: route, status });
    metrics.requestSeconds.observe({ surface, method: route, status }, seconds);
    const line = {
      req_id: restRequestId(req),
      surface,
      method: route,
      status: res.statusCode,
      ms: Math.round(seconds * 1e4) / 10,
      ...(res.writableFinished ? {} : { aborted: true }),
    };
    logger.info(line, "http");
  });
}
