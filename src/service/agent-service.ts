import { create } from "@bufbuild/protobuf";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { AgentModel } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { type AgentService, ListModelsResponseSchema } from "../../gen/vlmrun/agent/v1/service_pb.js";
import type { BackendRegistry } from "../backends/registry.js";
import { type Config, variantOf } from "../config.js";
import type { Logger } from "../observability/logger.js";
import { wireNames } from "../wire/names.js";
import { planChat } from "./chat-plan.js";
import { buildCompletion, ChunkBuilder } from "./completion-builder.js";
import { kRequestId, requestIdFrom } from "./context.js";
import { Reason, reasonError } from "./errors.js";

export interface AgentServiceDeps {
  config: Config;
  backends: BackendRegistry;
  logger: Logger;
}

/** Server start, reported as the `created` time of every model. */
const CREATED = BigInt(Math.floor(Date.now() / 1000));

function requestIdOf(ctx: HandlerContext): string {
  return ctx.values.get(kRequestId) || requestIdFrom(ctx.requestHeader.get("x-request-id"));
}

function later(what: string): never {
  throw reasonError(Code.Unimplemented, Reason.notImplemented, `${what} is not available on this server yet`);
}

/**
 * The one implementation of AgentService. gRPC, gRPC-Web and Connect reach it through the Connect
 * router; the OpenAI REST bridge calls these same methods.
 */
export function createAgentService(deps: AgentServiceDeps): ServiceImpl<typeof AgentService> {
  const { config, backends } = deps;

  return {
    async createChatCompletion(request, ctx) {
      const plan = planChat(request, false, config, backends);
      const result = await plan.backend.generate(plan.backendRequest, {
        signal: ctx.signal,
        requestId: requestIdOf(ctx),
      });
      return buildCompletion(plan, result);
    },

    async *streamChatCompletion(request, ctx) {
      const plan = planChat(request, true, config, backends);
      const builder = new ChunkBuilder(plan);
      const parts = plan.backend.stream(plan.backendRequest, {
        signal: ctx.signal,
        requestId: requestIdOf(ctx),
      });
      for await (const part of parts) {
        const chunk = builder.fromPart(part);
        if (chunk) yield chunk;
      }
      const usage = builder.usageChunk();
      if (usage) yield usage;
    },

    listModels() {
      return create(ListModelsResponseSchema, {
        models: wireNames.agentModel.values.map((model) => {
          const resolvesTo = model === AgentModel.ORION_1 ? AgentModel.ORION_1_AUTO : model;
          const backend = backends.for(variantOf(model));
          return {
            id: wireNames.agentModel.toWire(model) ?? "",
            model,
            created: CREATED,
            ownedBy: "vlmrun",
            backend: backend?.description ?? "none (set ORION_LLM_BASE_URL)",
            resolvesTo,
          };
        }),
        providers: wireNames.model.values.map((model) => {
          const provider = config.providers.get(model);
          const available = provider?.url !== undefined;
          return {
            id: wireNames.model.toWire(model) ?? "",
            model,
            available,
            setting: provider?.urlSetting ?? "",
            unavailableReason: available ? "" : `set ${provider?.urlSetting}`,
          };
        }),
      });
    },

    getQuota: () => later("GetQuota (guest and plan quotas)"),
    getSession: () => later("GetSession (stored sessions)"),
    deleteSession: () => later("DeleteSession (stored sessions)"),
    listSkills: () => later("ListSkills (skills)"),
    getArtifact: () => later("GetArtifact (artifacts)"),
  };
}
