import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  ChatCompletionChunkSchema,
  ChatCompletionRequestSchema,
  ChatCompletionSchema,
} from "../../../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentService } from "../../../../gen/vlmrun/agent/v1/service_pb.js";
import type { Logger } from "../../../observability/logger.js";
import { type ByteCap, type CallerCaps, capsOf } from "../../../service/caller-caps.js";
import { decodeCommonRequest } from "../../../wire/codecs/request-fast-path.js";
import type { Exchange } from "../../http/exchange.js";
import { httpErrorOf, validationHttpError } from "../../http/http-error.js";
import { readJsonObject } from "../../http/json-body.js";
import { sendHttpError, sendJson } from "../../http/respond.js";
import type { NodeRequest, NodeResponse } from "../../http/types.js";
import type { Lifecycle } from "../../lifecycle.js";
import { chunkJson, completionJson } from "../contract/openai-json.js";
import { chatRequestSchema } from "../contract/request-schema.js";
import { locIssues } from "../contract/validation-issues.js";
import { restCall } from "../rest-call.js";
import { SseWriter } from "./sse.js";

export interface ChatRouteDeps {
  service: ServiceImpl<typeof AgentService>;
  /** The body cap is the caller's (identified from the headers before the body is read). */
  caps: CallerCaps;
  /** A stream whose client reads nothing for this long is ended (ORION_STREAM_STALL_TIMEOUT_MS). */
  streamStallTimeoutMs: number;
  onStall?: () => void;
  logger: Logger;
  lifecycle: Lifecycle;
}

type RequestInit = MessageInitShape<typeof ChatCompletionRequestSchema>;

/** Parses the body into a proto request, or answers the 413/415/422 itself and returns undefined. */
async function parseRequest(req: NodeRequest, res: NodeResponse, bodyCap: ByteCap) {
  const json = await readJsonObject(req, res, bodyCap);
  if (!json) return undefined;
  const common = decodeCommonRequest(json);
  if (common) return common;
  const parsed = chatRequestSchema.safeParse(json);
  if (!parsed.success) {
    sendHttpError(res, validationHttpError(locIssues(parsed.error.issues)));
    return undefined;
  }
  return create(ChatCompletionRequestSchema, parsed.data as RequestInit);
}

/** POST /v1/openai/chat/completions: OpenAI JSON in, the AgentService in the middle, JSON or SSE out. */
export function chatCompletionsRoute(deps: ChatRouteDeps) {
  return async (x: Exchange) => {
    const { req, res, requestId } = x;
    const request = await parseRequest(req, res, capsOf(deps.caps, x.caller).body);
    if (!request) return;

    if (!request.stream) {
      const call = restCall(x, AgentService.method.createChatCompletion, deps.lifecycle);
      try {
        const reply = create(
          ChatCompletionSchema,
          await deps.service.createChatCompletion(request, call.ctx),
        );
        sendJson(res, 200, completionJson(reply), call.responseHeaders());
      } catch (error) {
        if (!call.clientGone()) {
          sendHttpError(res, withHeaders(httpErrorOf(error), call.responseHeaders()));
        }
      }
      return;
    }

    const call = restCall(x, AgentService.method.streamChatCompletion, deps.lifecycle);
    const sse = new SseWriter(res, {
      headers: () => call.responseHeaders(),
      stallTimeoutMs: deps.streamStallTimeoutMs,
      onStall: () => {
        deps.onStall?.();
        deps.logger.warn(
          { req_id: requestId },
          "stream cut: the client read nothing within the stall timeout",
        );
      },
    });
    const chunks = deps.service.streamChatCompletion(request, call.ctx)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await chunks.next();
        if (next.done) break;
        if (call.clientGone()) break;
        const full = sse.data(JSON.stringify(chunkJson(create(ChatCompletionChunkSchema, next.value))));
        if (full) await full;
      }
      if (!call.clientGone()) await sse.done();
    } catch (error) {
      if (call.clientGone()) return;
      const httpError = httpErrorOf(error);
      if (!sse.hasStarted) {
        sendHttpError(res, withHeaders(httpError, call.responseHeaders()));
        return;
      }
      deps.logger.warn(
        { req_id: requestId, err: httpError.body.error },
        "stream failed after the first byte",
      );
      await sse.data(JSON.stringify({ error: httpError.body.error }));
      await sse.done();
    } finally {
      // Stops the generator (and its upstream call) when we leave early.
      await chunks.return?.();
    }
  };
}

function withHeaders<T extends { headers: Record<string, string> }>(
  error: T,
  headers: Record<string, string>,
): T {
  return { ...error, headers: { ...error.headers, ...headers } };
}
