import { create } from "@bufbuild/protobuf";
import {
  ExecutionEventSchema,
  WatchExecutionRequestSchema,
} from "../../../../gen/vlmrun/agent/v1/executions_pb.js";
import { AgentService } from "../../../../gen/vlmrun/agent/v1/service_pb.js";
import type { Exchange } from "../../http/exchange.js";
import { httpErrorOf, validationHttpError } from "../../http/http-error.js";
import { sendHttpError } from "../../http/respond.js";
import { headerOf } from "../../http/types.js";
import type { RestDeps } from "../bindings/unary-route.js";
import { SseWriter } from "../chat/sse.js";
import { executionEventJson } from "../contract/execution-json.js";
import { restCall } from "../rest-call.js";

const SEQUENCE = /^\d{1,15}$/;

/**
 * GET /v1/agent/executions/{id}/events: WatchExecution as Server-Sent Events, each with `id:` its
 * sequence number and `event:` its type. `?starting_after=N` or `Last-Event-ID: N` (what a browser's
 * EventSource sends on reconnecting) replays from N + 1; the stream ends after the final event.
 */
export function executionEventsRoute(deps: RestDeps & { streamStallTimeoutMs: number }) {
  return async (x: Exchange, params: Record<string, string>) => {
    const { req, res } = x;
    const query = new URL(req.url ?? "/", "http://x").searchParams;
    const from = query.get("starting_after") ?? headerOf(req, "last-event-id") ?? "0";
    if (!SEQUENCE.test(from)) {
      sendHttpError(
        res,
        validationHttpError([
          {
            loc: ["query", "starting_after"],
            msg: "Input should be a sequence number (0 or more)",
            type: "int_parsing",
          },
        ]),
      );
      return;
    }
    const call = restCall(x, AgentService.method.watchExecution, deps.lifecycle);
    const sse = new SseWriter(res, {
      headers: () => call.responseHeaders(),
      stallTimeoutMs: deps.streamStallTimeoutMs,
    });
    const request = create(WatchExecutionRequestSchema, { id: params.id ?? "", startingAfter: BigInt(from) });
    const events = deps.service.watchExecution(request, call.ctx)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await events.next();
        if (next.done || call.clientGone()) break;
        const event = create(ExecutionEventSchema, next.value);
        await sse.event(String(event.sequence), event.type, JSON.stringify(executionEventJson(event)));
      }
      if (!call.clientGone()) sse.end();
    } catch (error) {
      if (call.clientGone()) return;
      const httpError = httpErrorOf(error);
      if (!sse.hasStarted) {
        sendHttpError(res, { ...httpError, headers: { ...httpError.headers, ...call.responseHeaders() } });
        return;
      }
      await sse.event("", "error", JSON.stringify({ error: httpError.body.error }));
      sse.end();
    } finally {
      await events.return?.();
    }
  };
}
