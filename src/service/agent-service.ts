import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { ChatCompletionChunk, ChatCompletionRequest } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentModel, Model } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import {
  type AgentService,
  GetQuotaResponseSchema,
  ListModelsResponseSchema,
} from "../../gen/vlmrun/agent/v1/service_pb.js";
import { enforceFormat, StreamedFormatCheck } from "../agent/response-format.js";
import { Artifacts } from "../artifacts/artifacts.js";
import { variantOf } from "../backends/variant.js";
import { Reason, reasonError, validationError } from "../errors.js";
import { ownerOf } from "../identity/caller.js";
import { assistantTurn } from "../wire/codecs/message-literals.js";
import { wireNames } from "../wire/names.js";
import { type ChatDeps, ChatRun, callerOf } from "./chat-run.js";
import { buildCompletion, ChunkBuilder, replayChunks } from "./completion-builder.js";
import { logUnexpectedErrors } from "./log-unexpected.js";

export type AgentServiceDeps = ChatDeps;

/** The durable execution RPCs (src/executions/), served by the same service. */
export type ExecutionMethods = Pick<
  ServiceImpl<typeof AgentService>,
  "executeAgent" | "getExecution" | "listExecutions" | "cancelExecution" | "watchExecution"
>;

const executionsOff = () => {
  throw reasonError(Code.Unimplemented, Reason.unsupported, "executions are not served here");
};

/** For a service built without executions (unit tests of the chat methods). */
const EXECUTIONS_OFF: ExecutionMethods = {
  executeAgent: executionsOff,
  getExecution: executionsOff,
  listExecutions: executionsOff,
  cancelExecution: executionsOff,
  watchExecution: executionsOff,
};

/**
 * Where artifacts were made: a session, or an execution (whose run used its own id as the session),
 * exactly one of the two, as the hosted API asks.
 */
function artifactNamespace(request: { sessionId: string; executionId: string }): string {
  if ((request.sessionId === "") === (request.executionId === "")) {
    throw validationError([
      { field: "session_id", description: "give exactly one of session_id or execution_id", type: "missing" },
    ]);
  }
  return request.sessionId || request.executionId;
}

/** Server start, reported as the `created` time of every model. */
const CREATED = BigInt(Math.floor(Date.now() / 1000));

/**
 * The one implementation of AgentService. gRPC, gRPC-Web and Connect reach it through the Connect
 * router; the OpenAI REST bridge calls these same methods. A chat is one ChatRun (chat-run.ts),
 * delivered whole or as a stream by the two methods below.
 */
export function createAgentService(
  deps: AgentServiceDeps,
  executions: ExecutionMethods = EXECUTIONS_OFF,
): ServiceImpl<typeof AgentService> {
  const { config, backends, quota, sessions, artifacts, tools, skills, formats, logger } = deps;

  const service: ServiceImpl<typeof AgentService> = {
    async createChatCompletion(request, ctx) {
      const run = await ChatRun.open(deps, request, ctx, false);
      if ("replay" in run) return run.replay;
      let completion: ReturnType<typeof buildCompletion>;
      try {
        const backend = await run.backend();
        let result = await backend.generate(run.backendRequest, run.options);
        const schema = run.schema;
        if (schema)
          result = await enforceFormat(formats, schema, result, backend, run.backendRequest, run.options);
        completion = buildCompletion(run.plan, result);
        completion.previews = await run.previews();
        completion.artifacts = run.artifacts();
      } catch (error) {
        await run.fail(false, error);
        throw error;
      }
      const answer = completion.choices[0]?.message;
      await run.settle(assistantTurn(answer?.content, answer?.toolCalls ?? []), completion);
      return completion;
    },

    streamChatCompletion(request, ctx) {
      return streamChat(deps, request, ctx);
    },

    ...executions,

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
          needs: [...tool.needs],
          mcpServer: tool.mcpServer ?? "",
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
      return create(GetQuotaResponseSchema, await quota.status(callerOf(ctx)));
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
      const scope = Artifacts.scope(ownerOf(callerOf(ctx)), artifactNamespace(request));
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
      const namespace = artifactNamespace(request);
      const scope = Artifacts.scope(ownerOf(callerOf(ctx)), namespace);
      const items = await artifacts.list(scope);
      return {
        namespaceId: namespace,
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

/**
 * A chat delivered as a stream of chunks: StreamChatCompletion, and the run of a durable execution
 * (whose chunks become its event log).
 */
export async function* streamChat(
  deps: ChatDeps,
  request: ChatCompletionRequest,
  ctx: HandlerContext,
): AsyncGenerator<ChatCompletionChunk> {
  const run = await ChatRun.open(deps, request, ctx, true);
  if ("replay" in run) {
    yield* replayChunks(run.replay, run.plan.includeUsage);
    return;
  }
  const builder = new ChunkBuilder(run.plan);
  const format = new StreamedFormatCheck(deps.formats, run.schema);
  let held: ChatCompletionChunk[] = [];
  let produced = false;
  let ended = false;
  try {
    try {
      const backend = await run.backend();
      for await (const part of backend.stream(run.backendRequest, run.options)) {
        const chunk = builder.fromPart(part);
        if (!chunk) continue;
        if (format.holds(chunk)) continue;
        produced = true;
        if (chunk.agentEvent) run.noteEvent(chunk.agentEvent);
        if (chunk.choices.some((c) => c.delta?.content || (c.delta?.toolCalls.length ?? 0) > 0)) {
          run.firstToken();
        }
        yield chunk;
      }
      const answers = Array.from({ length: request.n ?? 1 }, (_, choice) => builder.transcript(choice));
      held = await format.release(answers, ctx.signal);
    } catch (error) {
      ended = true;
      await run.fail(produced, error);
      throw error;
    }
    yield* held;
    const shown = await run.previews();
    if (shown.length > 0) yield builder.previewChunk(shown);
    const artifacts = run.artifacts();
    yield builder.finalChunk(artifacts);
    ended = true;
    await run.settle(builder.transcript(0), builder.completion(artifacts), true);
  } finally {
    if (!ended) await run.abandon();
  }
}
