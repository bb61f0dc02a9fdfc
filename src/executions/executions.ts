import { randomUUID } from "node:crypto";
import { create, toJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, type HandlerContext } from "@connectrpc/connect";
import { ChatCompletionRequestSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentModel } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { type Execution, ExecutionSchema, ExecutionStatus } from "../../gen/vlmrun/agent/v1/executions_pb.js";
import { prepareFormat } from "../agent/response-format.js";
import { type FieldViolation, Reason, reasonError, validationError } from "../errors.js";
import { type Caller, ownerOf } from "../identity/caller.js";
import { checkRequestUrls } from "../media/request-urls.js";
import { OwnerSlots } from "../runtime/owner-slots.js";
import type { ExecutionMethods } from "../service/agent-service.js";
import { capsOf } from "../service/caller-caps.js";
import { planChat } from "../service/chat-plan.js";
import { type ChatDeps, callerOf } from "../service/chat-run.js";
import { type ExecutionRecord, type ExecutionStore, TERMINAL } from "../store/execution-store.js";
import type { Dispatcher } from "./dispatch.js";
import { eventOf, executionOf, executionText, isFinal } from "./execution-events.js";
import type { ExecutionRunner } from "./execution-runner.js";
import { chatRequestOf, checkSubmission, type ExecutionSpec } from "./execution-spec.js";

/** Events read per store round trip while replaying. */
const PAGE = 200;
/** Longest single wait for the next event; the watch then checks the execution again. */
const WAIT_MS = 15_000;
const LIST_DEFAULT = 10;
const LIST_MAX = 100;

export interface ExecutionsDeps {
  chat: ChatDeps;
  store: ExecutionStore;
  runner: ExecutionRunner;
  dispatcher: Dispatcher;
  /** Open watches per owner (default: 64 each). */
  watches?: OwnerSlots;
}

/** Executions are a signed-in caller's: a guest (anyone) could fill the store with background runs. */
function signedIn(ctx: HandlerContext): Caller {
  const caller = callerOf(ctx);
  if (caller.kind === "guest") {
    throw reasonError(
      Code.Unauthenticated,
      Reason.unauthenticated,
      "executions need a signed-in caller: send an API key or a token in Authorization",
    );
  }
  return caller;
}

function notFound(id: string) {
  // The same answer whether it never existed or is someone else's.
  return reasonError(Code.NotFound, Reason.notFound, `execution "${id}" not found`);
}

/** The RPCs of durable executions: submit, read, list, cancel, watch. */
export function executionMethods(deps: ExecutionsDeps): ExecutionMethods {
  const { chat, store, runner, dispatcher } = deps;
  const { config } = chat;
  const watches = deps.watches ?? new OwnerSlots(64);

  async function owned(id: string, ctx: HandlerContext): Promise<ExecutionRecord> {
    const owner = ownerOf(signedIn(ctx));
    const record = id === "" ? undefined : await store.get(id);
    if (!record || record.owner !== owner) throw notFound(id);
    return record;
  }

  return {
    async executeAgent(request, ctx) {
      const caller = signedIn(ctx);
      await checkSubmission(request, config.executions, config.fetch, chat.skills);
      const id = randomUUID();
      const chatRequest = chatRequestOf(request, id);
      // Every rule a chat has (model, toolsets, skills, json_schema, the inputs' URLs), checked now.
      const plan = await planChat(
        chatRequest,
        true,
        capsOf(chat.caps, caller).text,
        config,
        chat.backends,
        chat.skills,
      );
      await prepareFormat(chat.formats, plan.request.responseFormat, ctx.signal);
      await checkRequestUrls(chatRequest.messages, config.fetch);
      const admission = await chat.quota.admit(caller);
      for (const [name, value] of Object.entries(admission.headers)) ctx.responseHeader.set(name, value);
      const now = Date.now();
      const execution = create(ExecutionSchema, {
        id,
        name: request.name,
        status: ExecutionStatus.PENDING,
        createdAt: timestampFromMs(now),
        model: request.model || AgentModel.ORION_1_AUTO,
        ...(request.metadata ? { metadata: request.metadata } : {}),
        usage: {},
      });
      const spec: ExecutionSpec = {
        chat: toJson(ChatCompletionRequestSchema, chatRequest),
        caller,
        callbackUrl: request.callbackUrl,
      };
      try {
        await store.create(
          {
            id,
            owner: ownerOf(caller),
            createdAt: now,
            execution: executionText(execution),
            spec: JSON.stringify(spec),
          },
          config.executions.ttlMs,
        );
      } catch (error) {
        await admission.refund();
        throw error;
      }
      try {
        await dispatcher.submitted(id);
      } catch (error) {
        await runner.end(id, execution, spec, "failed", "the execution could not be queued");
        throw reasonError(Code.Unavailable, Reason.storeUnavailable, "the execution could not be queued", {
          cause: error,
        });
      }
      chat.metrics.executions.inc({ status: "submitted" });
      return execution;
    },

    async getExecution(request, ctx) {
      return executionOf(await owned(request.id, ctx));
    },

    async listExecutions(request, ctx) {
      const owner = ownerOf(signedIn(ctx));
      const limit = request.limit ?? LIST_DEFAULT;
      const violations: FieldViolation[] = [];
      if (request.skip < 0)
        violations.push({ field: "skip", description: "must be 0 or more", type: "greater_than_equal" });
      if (limit < 1 || limit > LIST_MAX) {
        violations.push({
          field: "limit",
          description: `must be from 1 to ${LIST_MAX}`,
          type: "less_than_equal",
        });
      }
      if (violations.length > 0) throw validationError(violations);
      const records = await store.list(owner, request.skip, limit);
      return { executions: records.map(executionOf) };
    },

    async cancelExecution(request, ctx) {
      const record = await owned(request.id, ctx);
      const alreadyEnded = () =>
        reasonError(
          Code.FailedPrecondition,
          Reason.alreadyEnded,
          `execution "${request.id}" has already ended`,
        );
      if (TERMINAL.has(record.status)) throw alreadyEnded();
      const spec = JSON.parse(record.spec) as ExecutionSpec;
      if (!(await runner.end(record.id, executionOf(record), spec, "cancelled", "cancelled by the caller"))) {
        throw alreadyEnded();
      }
      // Its tools stop now if this process runs it; another process notices within a second.
      runner.abortLocal(record.id);
      const ended = await store.get(record.id);
      return ended ? executionOf(ended) : executionOf(record);
    },

    async *watchExecution(request, ctx) {
      const first = await owned(request.id, ctx);
      const release = watches.take(first.owner);
      if (!release) {
        throw reasonError(
          Code.ResourceExhausted,
          Reason.rateLimited,
          `this caller already watches ${watches.maxPerOwner} executions' events; close a stream first`,
        );
      }
      try {
        // Past the last event: the live tail from here (or the end, if it has ended).
        let after = Math.min(Number(request.startingAfter), first.lastSequence);
        while (!ctx.signal.aborted) {
          const page = await store.events(request.id, after, PAGE);
          for (const stored of page) {
            const event = eventOf(stored);
            yield event;
            after = stored.sequence;
            if (isFinal(event)) return;
          }
          if (page.length === PAGE) continue;
          const record = await store.get(request.id);
          if (!record || (TERMINAL.has(record.status) && record.lastSequence <= after)) return;
          await store.waitForEvents(request.id, after, WAIT_MS, ctx.signal);
        }
      } finally {
        release();
      }
    },
  };
}

export type { Execution };
