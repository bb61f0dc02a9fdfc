import type { DescMethod } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  createHandlerContext,
  type HandlerContext,
} from "@connectrpc/connect";
import { AgentService } from "../../../gen/vlmrun/agent/v1/service_pb.js";
import { kRequestId } from "../../service/context.js";
import { Reason, reasonError } from "../../service/errors.js";
import type { NodeRequest, NodeResponse } from "../http/types.js";

export interface RestCall {
  ctx: HandlerContext;
  /** True once the client went away (the call's signal is then aborted too). */
  readonly clientGone: () => boolean;
}

function headersOf(req: NodeRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue; // HTTP/2 pseudo-headers
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}

/**
 * A HandlerContext for calling the AgentService implementation from a REST request, so the bridge
 * goes through exactly what the RPCs run. Its signal aborts when the client disconnects or the
 * server's drain deadline passes.
 */
export function restCall(
  req: NodeRequest,
  res: NodeResponse,
  method: DescMethod,
  requestId: string,
  cutoff: AbortSignal,
): RestCall {
  const controller = new AbortController();
  let gone = false;
  res.once("close", () => {
    if (!res.writableFinished) {
      gone = true;
      controller.abort(new ConnectError("the client closed the connection", Code.Canceled));
    }
  });
  const shutdown = new AbortController();
  const onCutoff = () =>
    shutdown.abort(reasonError(Code.Unavailable, Reason.shuttingDown, "the server is shutting down"));
  if (cutoff.aborted) onCutoff();
  else {
    cutoff.addEventListener("abort", onCutoff, { once: true });
    res.once("close", () => cutoff.removeEventListener("abort", onCutoff));
  }
  const ctx = createHandlerContext({
    service: AgentService,
    method,
    protocolName: "openai-rest",
    requestMethod: req.method ?? "POST",
    url: req.url ?? "/",
    requestSignal: controller.signal,
    shutdownSignal: shutdown.signal,
    requestHeader: headersOf(req),
    contextValues: createContextValues().set(kRequestId, requestId),
  });
  return { ctx, clientGone: () => gone };
}
