import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  ArtifactPreviewSchema,
  type ChatCompletionRequest,
  type ChatMessage,
  ChatMessageSchema,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentModel, Model, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import {
  type AgentService,
  GetQuotaResponseSchema,
  ListModelsResponseSchema,
} from "../../gen/vlmrun/agent/v1/service_pb.js";
import { AgentBackend } from "../agent/agent-backend.js";
import { attachmentsNote, ingestAttachments } from "../agent/attachments.js";
import { capsFor } from "../agent/caps.js";
import {
  checkAnswer,
  enforceFormat,
  formatUnmet,
  prepareFormat,
  schemaOf,
} from "../agent/response-format.js";
import { selectToolsets } from "../agent/selection.js";
import { type ArtifactMeta, Artifacts } from "../artifacts/artifacts.js";
import { previewsOf } from "../artifacts/previews.js";
import type { Backend } from "../backends/backend.js";
import type { BackendRegistry } from "../backends/registry.js";
import { type Config, variantOf } from "../config.js";
import { type Caller, kCaller, ownerOf } from "../identity/caller.js";
import type { Limits } from "../limits/limits.js";
import { checkRequestUrls } from "../media/request-urls.js";
import type { Logger } from "../observability/logger.js";
import type { SchemaValidator } from "../schema/validator.js";
import type { Sessions } from "../sessions/sessions.js";
import type { SkillLibrary } from "../skills/skill-library.js";
import type { ToolRegistry } from "../tools/registry.js";
import { wireNames } from "../wire/names.js";
import { type ChatPlan, planChat } from "./chat-plan.js";
import { buildCompletion, ChunkBuilder } from "./completion-builder.js";
import { kRequestId, requestIdFrom } from "./context.js";
import { Reason, reasonError } from "./errors.js";
import type { Idempotency } from "./idempotency.js";
import { logUnexpectedErrors } from "./log-unexpected.js";

export interface AgentServiceDeps {
  tools: ToolRegistry;
  skills: SkillLibrary;
  config: Config;
  artifacts: Artifacts;
  backends: BackendRegistry;
  limits: Limits;
  sessions: Sessions;
  idempotency: Idempotency;
  /** Callers' response_format schemas. */
  formats: SchemaValidator;
  logger: Logger;
}

/** Server start, reported as the `created` time of every model. */
const CREATED = BigInt(Math.floor(Date.now() / 1000));

function requestIdOf(ctx: HandlerContext): string {
  return ctx.values.get(kRequestId) || requestIdFrom(ctx.requestHeader.get("x-request-id"));
}

function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(kCaller);
  if (!caller) throw reasonError(Code.Internal, Reason.unauthenticated, "the caller was not identified");
  return caller;
}

function setHeaders(ctx: HandlerContext, headers: Record<string, string>) {
  for (const [name, value] of Object.entries(headers)) ctx.responseHeader.set(name, value);
}

/**
 * The one implementation of AgentService. gRPC, gRPC-Web and Connect reach it through the Connect
 * router; the OpenAI REST bridge calls these same methods. Order: caller (set by the surface) →
 * validation → idempotency → session → quota → backend → session append.
 */
export function createAgentService(deps: AgentServiceDeps): ServiceImpl<typeof AgentService> {
  const { config, backends, limits, sessions, idempotency, artifacts, tools, skills, formats, logger } = deps;

  /**
   * The backend this request runs on: the plain model, or the agent loop around it when server
   * tools apply (some are selected and there are files for them to work on).
   */
  async function agentFor(
    request: ChatCompletionRequest,
    plan: ChatPlan,
    owner: string,
    streaming: boolean,
    signal: AbortSignal,
  ): Promise<{ backend: Backend; produced: ArtifactMeta[]; scope: string }> {
    const scope = Artifacts.scope(owner, plan.sessionId);
    const produced: ArtifactMeta[] = [];
    const plain = { backend: plan.backend, produced, scope };
    const selected = tools.select(selectToolsets(request, streaming), request.models);
    if (selected.length === 0) return plain;
    const attached = await ingestAttachments(request.messages, artifacts, scope, {
      policy: config.fetch,
      limits: config.media,
      signal,
    });
    const earlier = request.sessionId ? await artifacts.list(scope) : [];
    // An upstream model gets tools only when there are files for them; the local planner always
    // sees them, since choosing tools is all it does.
    if (attached.length === 0 && earlier.length === 0 && plan.backend.kind !== "local") return plain;
    const known = [
      ...attached,
      ...earlier
        .filter((a) => !attached.some((b) => b.id === a.id))
        .map((a) => ({ id: a.id, description: `${a.id} (${a.contentType})` })),
    ];
    const note = attachmentsNote(known);
    const backend = new AgentBackend(plan.backend, {
      registry: tools,
      tools: selected,
      caps: capsFor(variantOf(request.model), attached.length),
      toolContext: {
        artifacts: {
          put: async (data, contentType, filename) => {
            const meta = await artifacts.put(scope, data, contentType, filename);
            produced.push(meta);
            return meta;
          },
          get: (ref) => artifacts.get(scope, ref),
        },
      },
      ...(note ? { attachmentsNote: note } : {}),
    });
    return { backend, produced, scope };
  }

  /** `preview: true`: small renditions of what the run produced. */
  function previews(request: ChatCompletionRequest, run: { produced: ArtifactMeta[]; scope: string }) {
    if (!request.preview || run.produced.length === 0) return Promise.resolve([]);
    return previewsOf(run.produced, (id) => artifacts.get(run.scope, id));
  }

  async function remember(sessionId: string, owner: string, turn: ChatMessage[], requestId: string) {
    try {
      await sessions.append(sessionId, owner, turn);
    } catch (error) {
      // The answer exists already; losing the history is logged, not turned into a failed reply.
      logger.error(
        { req_id: requestId, err: (error as Error).message, session_id: sessionId },
        "session append failed",
      );
    }
  }

  const service: ServiceImpl<typeof AgentService> = {
    async createChatCompletion(request, ctx) {
      const caller = callerOf(ctx);
      const owner = ownerOf(caller);
      const requestId = requestIdOf(ctx);
      const plan = await planChat(request, false, config, backends, skills);
      await prepareFormat(formats, plan.request.responseFormat, ctx.signal);
      await checkRequestUrls(request.messages, config.fetch);
      if (request.id) {
        const stored = await idempotency.claim(owner, request.id);
        if (stored) return stored;
      }
      try {
        const history = request.sessionId ? await sessions.history(plan.sessionId, owner) : [];
        const admission = await limits.admit(caller);
        setHeaders(ctx, admission.headers);
        const backendRequest = {
          ...plan.backendRequest,
          messages: [...plan.instructions, ...history, ...request.messages],
        };
        let completion: ReturnType<typeof buildCompletion>;
        try {
          const run = await agentFor(plan.request, plan, owner, false, ctx.signal);
          const options = { signal: ctx.signal, requestId };
          let result = await run.backend.generate(backendRequest, options);
          const schema = schemaOf(plan.request.responseFormat);
          if (schema)
            result = await enforceFormat(formats, schema, result, run.backend, backendRequest, options);
          completion = buildCompletion(plan, result);
          completion.previews = (await previews(request, run)).map((p) => create(ArtifactPreviewSchema, p));
        } catch (error) {
          await admission.refund();
          throw error;
        }
        const answer = completion.choices[0]?.message;
        const reply = create(ChatMessageSchema, {
          role: Role.ASSISTANT,
          ...(answer?.content !== undefined ? { content: answer.content } : {}),
          toolCalls: answer?.toolCalls ?? [],
        });
        await remember(plan.sessionId, owner, [...request.messages, reply], requestId);
        if (request.id) await idempotency.complete(owner, request.id, completion);
        return completion;
      } catch (error) {
        if (request.id) await idempotency.release(owner, request.id);
        throw error;
      }
    },

    async *streamChatCompletion(request, ctx) {
      const caller = callerOf(ctx);
      const owner = ownerOf(caller);
      const requestId = requestIdOf(ctx);
      const plan = await planChat(request, true, config, backends, skills);
      await prepareFormat(formats, plan.request.responseFormat, ctx.signal);
      await checkRequestUrls(request.messages, config.fetch);
      const history = request.sessionId ? await sessions.history(plan.sessionId, owner) : [];
      const admission = await limits.admit(caller);
      setHeaders(ctx, admission.headers);
      const builder = new ChunkBuilder(plan);
      const backendRequest = {
        ...plan.backendRequest,
        messages: [...plan.instructions, ...history, ...request.messages],
      };
      let produced = false;
      let run: Awaited<ReturnType<typeof agentFor>> | undefined;
      try {
        run = await agentFor(plan.request, plan, owner, true, ctx.signal);
        for await (const part of run.backend.stream(backendRequest, { signal: ctx.signal, requestId })) {
          const chunk = builder.fromPart(part);
          if (chunk) {
            produced = true;
            yield chunk;
          }
        }
      } catch (error) {
        if (!produced) await admission.refund();
        throw error;
      }
      const schema = schemaOf(plan.request.responseFormat);
      if (schema) {
        // A streamed answer is already out; it is checked as a whole and a mismatch is reported in-band.
        for (let choice = 0; choice < (request.n ?? 1); choice++) {
          const answer = builder.transcript(choice);
          if (answer.toolCalls.length > 0) continue;
          const verdict = await checkAnswer(formats, schema, answer.content, ctx.signal);
          if (!verdict.ok) throw formatUnmet(verdict.problems, false);
        }
      }
      const shown = run ? await previews(request, run) : [];
      if (shown.length > 0) yield builder.previewChunk(shown);
      const usage = builder.usageChunk();
      if (usage) yield usage;
      await remember(plan.sessionId, owner, [...request.messages, builder.transcript(0)], requestId);
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
            backend: backend.description,
            resolvesTo,
          };
        }),
        tools: tools.catalog().map(({ tool, reason }) => ({
          name: tool.name,
          description: tool.description,
          toolset: tool.toolset,
          provider: tool.provider ?? Model.UNSPECIFIED,
          available: reason === undefined,
          unavailableReason: reason ?? "",
        })),
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

    async getQuota(_request, ctx) {
      return create(GetQuotaResponseSchema, await limits.status(callerOf(ctx)));
    },

    async getSession(request, ctx) {
      const owner = ownerOf(callerOf(ctx));
      const session = await sessions.get(request.sessionId, owner);
      const items = await artifacts.list(Artifacts.scope(owner, request.sessionId));
      session.artifactIds = items.map((a) => a.id);
      return { session };
    },

    async deleteSession(request, ctx) {
      await sessions.delete(request.sessionId, ownerOf(callerOf(ctx)));
      return {};
    },

    listSkills() {
      return {
        skills: skills.list().map((s) => ({
          id: s.id,
          name: s.name,
          description: s.description,
          skillVersion: s.version,
          toolsets: s.toolsets,
          model: s.model ?? AgentModel.UNSPECIFIED,
        })),
      };
    },

    async getArtifact(request, ctx) {
      const scope = Artifacts.scope(ownerOf(callerOf(ctx)), request.sessionId);
      const found = await artifacts.get(scope, request.objectId);
      if (!found) {
        throw reasonError(
          Code.NotFound,
          Reason.notFound,
          `artifact "${request.objectId}" not found in this session`,
        );
      }
      return { objectId: found.meta.id, contentType: found.meta.contentType, data: found.data };
    },

    async listArtifacts(request, ctx) {
      const scope = Artifacts.scope(ownerOf(callerOf(ctx)), request.sessionId);
      const items = await artifacts.list(scope);
      return {
        namespaceId: request.sessionId,
        items: items.map((a) => ({
          objectId: a.id,
          filename: a.filename,
          contentType: a.contentType,
          size: BigInt(a.size),
          createdAt: timestampFromMs(a.createdAt),
        })),
      };
    },
  };
  return logUnexpectedErrors(service, logger);
}
