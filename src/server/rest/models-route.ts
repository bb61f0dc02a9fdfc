import { create } from "@bufbuild/protobuf";
import {
  AgentService,
  ListModelsRequestSchema,
  ListModelsResponseSchema,
} from "../../../gen/vlmrun/agent/v1/service_pb.js";
import { simpleHttpError } from "./errors.js";
import { modelJson } from "./render.js";
import { type RestDeps, unaryRoute } from "./unary-route.js";

async function listModels(deps: RestDeps, ctx: Parameters<RestDeps["service"]["listModels"]>[1]) {
  return create(
    ListModelsResponseSchema,
    await deps.service.listModels(create(ListModelsRequestSchema, {}), ctx),
  );
}

/** GET /v1/openai/models/{id} */
export function modelRoute(deps: RestDeps) {
  return unaryRoute(
    deps,
    AgentService.method.listModels,
    async (ctx, params) => ({ list: await listModels(deps, ctx), id: params.id ?? "" }),
    ({ list, id }) => {
      const model = list.models.find((m) => m.id === id);
      if (!model) {
        const error = simpleHttpError(404, "model_not_found", `model "${id}" does not exist`);
        return { status: error.status, body: error.body };
      }
      return { body: modelJson(model) };
    },
  );
}
