import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  AgentService,
  DeleteSessionRequestSchema,
  GetQuotaRequestSchema,
  GetQuotaResponseSchema,
  GetSessionRequestSchema,
  GetSessionResponseSchema,
} from "../../../gen/vlmrun/agent/v1/service_pb.js";
import { messageJson } from "./render.js";
import { type RestDeps, unaryRoute } from "./unary-route.js";

/** GET /v1/quota: the caller's allowance. */
export function quotaRoute(deps: RestDeps) {
  return unaryRoute(
    deps,
    AgentService.method.getQuota,
    async (ctx) =>
      create(GetQuotaResponseSchema, await deps.service.getQuota(create(GetQuotaRequestSchema, {}), ctx)),
    (q) => ({
      body: {
        caller_kind: q.callerKind,
        plan: q.plan,
        daily_limit: q.dailyLimit ?? null,
        used_today: q.dailyLimit === undefined ? null : q.usedToday,
        remaining_today: q.remainingToday ?? null,
        requests_per_minute: q.requestsPerMinute ?? null,
        resets_at: q.resetsAt ? timestampDate(q.resetsAt).toISOString() : null,
      },
    }),
  );
}

/** GET /v1/sessions/{session_id} */
export function getSessionRoute(deps: RestDeps) {
  return unaryRoute(
    deps,
    AgentService.method.getSession,
    async (ctx, params) =>
      create(
        GetSessionResponseSchema,
        await deps.service.getSession(
          create(GetSessionRequestSchema, { sessionId: params.session_id ?? "" }),
          ctx,
        ),
      ),
    ({ session }) => ({
      body: {
        session_id: session?.sessionId,
        created_at: session?.createdAt ? timestampDate(session.createdAt).toISOString() : null,
        updated_at: session?.updatedAt ? timestampDate(session.updatedAt).toISOString() : null,
        messages: session?.messages.map(messageJson) ?? [],
        artifact_ids: session?.artifactIds ?? [],
      },
    }),
  );
}

/** DELETE /v1/sessions/{session_id} */
export function deleteSessionRoute(deps: RestDeps) {
  return unaryRoute(
    deps,
    AgentService.method.deleteSession,
    async (ctx, params) =>
      deps.service.deleteSession(
        create(DeleteSessionRequestSchema, { sessionId: params.session_id ?? "" }),
        ctx,
      ),
    () => ({ body: { deleted: true } }),
  );
}
