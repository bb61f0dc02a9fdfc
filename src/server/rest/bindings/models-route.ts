import { create } from "@bufbuild/protobuf";
import { AgentService, ListModelsRequestSchema } from "../../../../gen/vlmrun/agent/v1/service_pb.js";
import { simpleHttpError } from "../../http/http-error.js";
import { modelJson } from "../contract/openai-json.js";
import { callUnary, type RestDeps, unaryRoute } from "./unary-route.js";

/** GET /v1/openai/models/{id} */
export function modelRoute(deps: RestDeps) {
  return unaryRoute(
    deps,
    AgentService.method.listModels,
    async (ctx, params) => ({
      list: await callUnary(deps, AgentService.method.listModels, create(ListModelsRequestSchema), ctx),
      id: params.id ?? "",
    }),
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
