import type { MessageShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { AgentService } from "../../../../gen/vlmrun/agent/v1/service_pb.js";
import { wireNames } from "../../../wire/names.js";
import { executionJson } from "../contract/execution-json.js";
import { messageJson, modelListJson } from "../contract/openai-json.js";
import type {
  ArtifactListJson,
  DeletedJson,
  QuotaJson,
  SessionJson,
  SkillListJson,
} from "../contract/response-schemas.js";
import type { RestReply } from "./unary-route.js";

type Methods = typeof AgentService.method;
type Reply<K extends keyof Methods> = MessageShape<Methods[K]["output"]>;

/** How a bound RPC appears on REST: its route name (metrics, logs) and, where the hosted API's JSON differs from proto JSON, its rendering. */
export interface Rendering<R> {
  name: string;
  render?: (reply: R) => RestReply;
}

const iso = (t: Parameters<typeof timestampDate>[0] | undefined) =>
  t ? timestampDate(t).toISOString() : null;

/**
 * The REST face of each bound RPC. A binding with no entry here is still served: named after its
 * method and rendered as proto JSON with the proto's field names.
 */
export const RENDERINGS: { [K in keyof Methods]?: Rendering<Reply<K>> } = {
  createChatCompletion: { name: "chat.completions" },
  listModels: { name: "models.list", render: (list) => ({ body: modelListJson(list) }) },
  getQuota: {
    name: "quota.get",
    render: (q) => ({
      body: {
        caller_kind: q.callerKind,
        plan: q.plan,
        daily_limit: q.dailyLimit ?? null,
        used_today: q.dailyLimit === undefined ? null : q.usedToday,
        remaining_today: q.remainingToday ?? null,
        requests_per_minute: q.requestsPerMinute ?? null,
        resets_at: iso(q.resetsAt),
      } satisfies QuotaJson,
    }),
  },
  getSession: {
    name: "sessions.get",
    render: ({ session }) => ({
      body: {
        session_id: session?.sessionId,
        created_at: iso(session?.createdAt),
        updated_at: iso(session?.updatedAt),
        messages: session?.messages.map(messageJson) ?? [],
        artifact_ids: session?.artifactIds ?? [],
      } satisfies SessionJson,
    }),
  },
  deleteSession: {
    name: "sessions.delete",
    render: () => ({ body: { deleted: true } satisfies DeletedJson }),
  },
  listSkills: {
    name: "skills.list",
    render: (reply) => ({
      body: {
        object: "list",
        data: reply.skills.map((s): SkillListJson["data"][number] => ({
          id: s.id,
          name: s.name,
          description: s.description,
          skill_version: s.skillVersion,
          toolsets: s.toolsets.map((t) => wireNames.toolset.toWire(t)),
          model: wireNames.agentModel.toWire(s.model) ?? null,
        })),
      } satisfies SkillListJson,
    }),
  },
  getArtifact: {
    name: "artifacts.get",
    render: (reply) => ({
      bytes: reply.data,
      headers: {
        "content-type": reply.contentType,
        "cache-control": "private, max-age=3600",
        // Artifacts can be user-supplied (an attached HTML file): never sniffed, never run as a page.
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox; default-src 'none'",
      },
    }),
  },
  executeAgent: { name: "executions.create" },
  watchExecution: { name: "executions.events" },
  getExecution: { name: "executions.get", render: (e) => ({ body: executionJson(e) }) },
  cancelExecution: { name: "executions.cancel", render: (e) => ({ body: executionJson(e) }) },
  // A bare JSON array, newest first: what the hosted SDKs' executions.list() reads.
  listExecutions: { name: "executions.list", render: (r) => ({ body: r.executions.map(executionJson) }) },
  listArtifacts: {
    name: "artifacts.list",
    render: (reply) => {
      const items = reply.items.map((a): ArtifactListJson["items"][number] => ({
        object_id: a.objectId,
        filename: a.filename || null,
        content_type: a.contentType,
        size: Number(a.size),
        created_at: iso(a.createdAt),
        source: "store",
      }));
      // The list shape of every other list, plus the hosted API's own fields (its SDKs read `items`).
      return {
        body: {
          object: "list",
          data: items,
          namespace_id: reply.namespaceId,
          items,
        } satisfies ArtifactListJson,
      };
    },
  },
};
