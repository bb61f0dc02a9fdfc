import type { DescMethod } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { AgentService } from "../../../gen/vlmrun/agent/v1/service_pb.js";
import { sendHttpError, sendJson } from "../http/respond.js";
import type { NodeRequest, NodeResponse } from "../http/types.js";
import type { Lifecycle } from "../lifecycle.js";
import { httpErrorOf } from "./errors.js";
import { restCall } from "./rest-call.js";

export interface RestDeps {
  service: ServiceImpl<typeof AgentService>;
  lifecycle: Lifecycle;
  requestIdOf: (req: NodeRequest) => string;
}

/**
 * A REST route over one unary AgentService method: call it with the request's context, render the
 * reply as JSON, or render its error in the combined error format.
 */
export function unaryRoute<T>(
  deps: RestDeps,
  method: DescMethod,
  invoke: (ctx: HandlerContext, params: Record<string, string>, req: NodeRequest) => Promise<T>,
  render: (reply: T) => { status?: number; body: unknown },
) {
  return async (req: NodeRequest, res: NodeResponse, params: Record<string, string>) => {
    const requestId = deps.requestIdOf(req);
    const call = restCall(req, res, method, requestId, deps.lifecycle);
    const headers = () => ({ ...call.responseHeaders(), "x-request-id": requestId });
    try {
      const reply = await invoke(call.ctx, params, req);
      const { status = 200, body } = render(reply);
      sendJson(res, status, body, headers());
    } catch (error) {
      if (call.clientGone()) return;
      const httpError = httpErrorOf(error);
      sendHttpError(res, { ...httpError, headers: { ...httpError.headers, ...headers() } });
    }
  };
}
