import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  AgentService,
  ListModelsRequestSchema,
  ListModelsResponseSchema,
} from "../../../gen/vlmrun/agent/v1/service_pb.js";
import { sendHttpError, sendJson } from "../http/respond.js";
import type { NodeRequest, NodeResponse } from "../http/types.js";
import type { Lifecycle } from "../lifecycle.js";
import { simpleHttpError } from "./errors.js";
import { modelJson, modelListJson } from "./render.js";
import { restCall } from "./rest-call.js";

export interface ModelsRouteDeps {
  service: ServiceImpl<typeof AgentService>;
  lifecycle: Lifecycle;
  requestIdOf: (req: NodeRequest) => string;
}

async function listModels(deps: ModelsRouteDeps, req: NodeRequest, res: NodeResponse) {
  const call = restCall(req, res, AgentService.method.listModels, deps.requestIdOf(req), deps.lifecycle);
  return create(
    ListModelsResponseSchema,
    await deps.service.listModels(create(ListModelsRequestSchema, {}), call.ctx),
  );
}

/** GET /v1/openai/models */
export function modelsRoute(deps: ModelsRouteDeps) {
  return async (req: NodeRequest, res: NodeResponse) => {
    sendJson(res, 200, modelListJson(await listModels(deps, req, res)));
  };
}

/** GET /v1/openai/models/{id} */
export function modelRoute(deps: ModelsRouteDeps) {
  return async (req: NodeRequest, res: NodeResponse, params: Record<string, string>) => {
    const list = await listModels(deps, req, res);
    const model = list.models.find((m) => m.id === params.id);
    if (!model) {
      sendHttpError(res, simpleHttpError(404, "model_not_found", `model "${params.id}" does not exist`));
      return;
    }
    sendJson(res, 200, modelJson(model));
  };
}
