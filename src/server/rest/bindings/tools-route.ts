import { create } from "@bufbuild/protobuf";
import { AgentService, ListModelsRequestSchema } from "../../../../gen/vlmrun/agent/v1/service_pb.js";
import { wireNames } from "../../../wire/names.js";
import type { ToolListJson } from "../contract/response-schemas.js";
import { callUnary, type RestDeps, unaryRoute } from "./unary-route.js";

/** GET /v1/tools: every server tool, with whether it can run here and, if not, what enables it. */
export function toolsRoute(deps: RestDeps) {
  return unaryRoute(
    deps,
    AgentService.method.listModels,
    (ctx) => callUnary(deps, AgentService.method.listModels, create(ListModelsRequestSchema), ctx),
    (reply) => ({
      body: {
        object: "list",
        data: reply.tools.map((t): ToolListJson["data"][number] => ({
          name: t.name,
          description: t.description,
          toolset: t.mcpServer ? `mcp:${t.mcpServer}` : (wireNames.toolset.toWire(t.toolset) ?? null),
          provider: wireNames.model.toWire(t.provider) ?? null,
          needs: t.needs,
          available: t.available,
          unavailable_reason: t.available ? undefined : t.unavailableReason,
        })),
      } satisfies ToolListJson,
    }),
  );
}
