import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../../observability/logger.js";
import type { Metrics, Surface } from "../../observability/metrics.js";
import { kLogFields, kRequestId } from "../../service/context.js";
import { recordRequest } from "../http/record-request.js";

/** Which RPC protocol a call uses, from its content type. */
export function rpcSurface(contentType: string | null | undefined): Surface {
  if (!contentType) return "connect";
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
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
      recordRequest(metrics, logger, { req_id: requestId, surface, method, status, seconds }, fields, "rpc");
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
