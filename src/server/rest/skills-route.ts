import { create } from "@bufbuild/protobuf";
import {
  AgentService,
  ListSkillsRequestSchema,
  ListSkillsResponseSchema,
} from "../../../gen/vlmrun/agent/v1/service_pb.js";
import { wireNames } from "../../wire/names.js";
import { type RestDeps, unaryRoute } from "./unary-route.js";

/** GET /v1/skills */
export function skillsRoute(deps: RestDeps) {
  return unaryRoute(
    deps,
    AgentService.method.listSkills,
    async (ctx) =>
      create(
        ListSkillsResponseSchema,
        await deps.service.listSkills(create(ListSkillsRequestSchema, {}), ctx),
      ),
    (reply) => ({
      body: {
        data: reply.skills.map((s) => ({
          id: s.id,
          name: s.name,
          description: s.description,
          skill_version: s.skillVersion,
          toolsets: s.toolsets.map((t) => wireNames.toolset.toWire(t)),
          model: wireNames.agentModel.toWire(s.model) ?? null,
        })),
      },
    }),
  );
}
