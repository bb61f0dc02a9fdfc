import { create } from "@bufbuild/protobuf";
import { ExecuteAgentRequestSchema } from "../../../../gen/vlmrun/agent/v1/executions_pb.js";
import { AgentService } from "../../../../gen/vlmrun/agent/v1/service_pb.js";
import { type CallerCaps, capsOf } from "../../../service/caller-caps.js";
import type { Exchange } from "../../http/exchange.js";
import { httpErrorOf, validationHttpError } from "../../http/http-error.js";
import { readJsonObject } from "../../http/json-body.js";
import { sendHttpError, sendJson } from "../../http/respond.js";
import type { RestDeps } from "../bindings/unary-route.js";
import { executeRequestSchema } from "../contract/execute-schema.js";
import { executionJson } from "../contract/execution-json.js";
import { locIssues } from "../contract/validation-issues.js";
import { restCall } from "../rest-call.js";

/** POST /v1/agent/execute: the hosted JSON in, ExecuteAgent in the middle, the execution out. */
export function executeRoute(deps: RestDeps & { caps: CallerCaps }) {
  return async (x: Exchange) => {
    const { req, res } = x;
    const json = await readJsonObject(req, res, capsOf(deps.caps, x.caller).body);
    if (!json) return;
    const parsed = executeRequestSchema.safeParse(json);
    if (!parsed.success) {
      sendHttpError(res, validationHttpError(locIssues(parsed.error.issues)));
      return;
    }
    const call = restCall(x, AgentService.method.executeAgent, deps.lifecycle);
    try {
      const execution = await deps.service.executeAgent(
        create(ExecuteAgentRequestSchema, parsed.data),
        call.ctx,
      );
      sendJson(
        res,
        200,
        executionJson(create(AgentService.method.executeAgent.output, execution)),
        call.responseHeaders(),
      );
    } catch (error) {
      if (call.clientGone()) return;
      const httpError = httpErrorOf(error);
      sendHttpError(res, { ...httpError, headers: { ...httpError.headers, ...call.responseHeaders() } });
    }
  };
}
