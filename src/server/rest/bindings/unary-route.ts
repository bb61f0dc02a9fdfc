import { create, type DescMethodUnary, type MessageShape } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { AgentService } from "../../../../gen/vlmrun/agent/v1/service_pb.js";
import type { Exchange } from "../../http/exchange.js";
import { httpErrorOf } from "../../http/http-error.js";
import { sendHttpError, sendJson } from "../../http/respond.js";
import { writable } from "../../http/types.js";
import type { Lifecycle } from "../../lifecycle.js";
import { restCall } from "../rest-call.js";

export interface RestDeps {
  service: ServiceImpl<typeof AgentService>;
  lifecycle: Lifecycle;
}

/** A reply as REST sends it: JSON, or raw bytes with their own headers (an artifact). */
export type RestReply =
  | { status?: number; body: unknown }
  | { bytes: Uint8Array; headers: Record<string, string> };

/** Calls one unary AgentService method by its descriptor, exactly as the RPC surfaces do. */
export async function callUnary<I extends DescMethodUnary>(
  deps: RestDeps,
  method: I,
  request: MessageShape<I["input"]>,
  ctx: HandlerContext,
): Promise<MessageShape<I["output"]>> {
  const impl = deps.service[method.localName as keyof typeof deps.service] as unknown as (
    request: MessageShape<I["input"]>,
    ctx: HandlerContext,
  ) => Promise<object>;
  return create(method.output, (await impl(request, ctx)) as never) as MessageShape<I["output"]>;
}

/**
 * A REST route over one unary AgentService method: call it with the request's context, render the
 * reply, or render its error in the combined error format.
 */
export function unaryRoute<T>(
  deps: RestDeps,
  method: DescMethodUnary,
  invoke: (ctx: HandlerContext, params: Record<string, string>) => Promise<T>,
  render: (reply: T) => RestReply,
) {
  return async (x: Exchange, params: Record<string, string>) => {
    const { res } = x;
    const call = restCall(x, method, deps.lifecycle);
    const headers = () => call.responseHeaders();
    try {
      const reply = render(await invoke(call.ctx, params));
      if ("bytes" in reply) {
        writable(res).writeHead(200, {
          ...reply.headers,
          "content-length": String(reply.bytes.byteLength),
          ...headers(),
        });
        writable(res).end(reply.bytes);
      } else {
        sendJson(res, reply.status ?? 200, reply.body, headers());
      }
    } catch (error) {
      if (call.clientGone()) return;
      const httpError = httpErrorOf(error);
      sendHttpError(res, { ...httpError, headers: { ...httpError.headers, ...headers() } });
    }
  };
}
