import { create } from "@bufbuild/protobuf";
import { Code, type HandlerContext } from "@connectrpc/connect";
import {
  type AgentEvent,
  ArtifactPreviewSchema,
  type ArtifactRef,
  type ChatCompletion,
  type ChatCompletionRequest,
  type ChatMessage,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentEventKind } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { type AssembleDeps, type AssembledAgent, assembleAgent } from "../agent/assemble.js";
import { prepareFormat } from "../agent/response-format.js";
import { previewsOf } from "../artifacts/previews.js";
import type { Backend, BackendRequest, CallOptions } from "../backends/backend.js";
import type { BackendRegistry } from "../backends/registry.js";
import { Reason, reasonError, upstreamOf } from "../errors.js";
import { chatFiles, checkFileParts } from "../files/chat-files.js";
import { type Caller, kCaller, ownerOf } from "../identity/caller.js";
import { checkRequestUrls } from "../media/request-urls.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics, Surface } from "../observability/metrics.js";
import type { Admission, Quota } from "../quota/quota.js";
import { rememberedSha256 } from "../runtime/remembered-hash.js";
import { schemaOf } from "../schema/schema-of.js";
import type { SchemaValidator } from "../schema/validator.js";
import type { Sessions } from "../sessions/sessions.js";
import type { SkillLibrary } from "../skills/skill-library.js";
import { bindingUrl } from "../wire/http-bindings.js";
import type { BackgroundWrites } from "./background-writes.js";
import { type CallerCaps, capsOf } from "./caller-caps.js";
import { type ChatPlan, planChat } from "./chat-plan.js";
import { kLogFields, kPrepaid, kRequestId, requestIdFrom } from "./context.js";
import type { Idempotency } from "./idempotency.js";

export interface ChatDeps extends AssembleDeps {
  backends: BackendRegistry;
  quota: Quota;
  sessions: Sessions;
  idempotency: Idempotency;
  skills: SkillLibrary;
  /** Callers' response_format schemas. */
  formats: SchemaValidator;
  logger: Logger;
  metrics: Metrics;
  /** Writes the reply does not wait for (the session append). */
  background: BackgroundWrites;
  /** What a request may carry, by caller. */
  caps: CallerCaps;
}

/** The surface a call came in on, as metrics label it. */
function surfaceOf(ctx: HandlerContext): Surface {
  const protocol = ctx.protocolName;
  return protocol === "grpc" || protocol === "grpc-web" || protocol === "connect" ? protocol : "rest";
}

const sha256Hex = rememberedSha256("hex");

/** A chat charged before it ran (kPrepaid): nothing to return with it, nothing to give back. */
const PREPAID: Admission = { headers: {}, refund: async () => {} };

/** A short, stable hash of who is calling: log lines can be grouped by caller without naming them. */
function callerHash(caller: Caller): string {
  return sha256Hex(`${caller.kind}:${caller.id}`).slice(0, 12);
}

export function requestIdOf(ctx: HandlerContext): string {
  return ctx.values.get(kRequestId) || requestIdFrom(ctx.requestHeader.get("x-request-id"));
}

export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(kCaller);
  if (!caller) throw reasonError(Code.Internal, Reason.unauthenticated, "the caller was not identified");
  return caller;
}

/**
 * One chat, the same whether its answer is delivered whole or streamed: `open` prepares (every
 * check that can refuse it: validation, response_format, URLs, idempotency, session ownership) and
 * only then admits it against the quota; the delivery runs the agent and ends with `settle` or
 * `fail`. So no surface and no delivery can charge a request that was going to be refused.
 */
export class ChatRun {
  readonly options: CallOptions;
  private agent: AssembledAgent | undefined;
  private readonly started = performance.now();
  private readonly labels: { variant: string; surface: Surface };
  private firstTokenSeen = false;
  private readonly events: AgentEvent[] = [];

  private constructor(
    private readonly deps: ChatDeps,
    readonly request: ChatCompletionRequest,
    private readonly ctx: HandlerContext,
    private readonly streaming: boolean,
    private readonly caller: Caller,
    private readonly owner: string,
    private readonly requestId: string,
    readonly plan: ChatPlan,
    /** The model's input: skill instructions, the session's history, then this request. */
    readonly backendRequest: BackendRequest,
    private readonly admission: Admission,
    /** A request with an `id`: its completion is kept for retries, whole or streamed. */
    private readonly idempotent: boolean,
  ) {
    this.options = { signal: ctx.signal, requestId };
    this.labels = { variant: plan.variant, surface: surfaceOf(ctx) };
  }

  /** Prepares and admits a chat, or returns the stored completion an idempotent retry asks for. */
  static async open(
    deps: ChatDeps,
    request: ChatCompletionRequest,
    ctx: HandlerContext,
    streaming: boolean,
  ): Promise<ChatRun | { replay: ChatCompletion; plan: ChatPlan }> {
    const caller = callerOf(ctx);
    const owner = ownerOf(caller);
    const requestId = requestIdOf(ctx);
    const textCap = capsOf(deps.caps, caller).text;
    const plan = await planChat(request, streaming, textCap, deps.config, deps.backends, deps.skills);
    await prepareFormat(deps.formats, plan.request.responseFormat, ctx.signal);
    await checkRequestUrls(request.messages, deps.config.fetch);
    await checkFileParts(request.messages, deps.files && chatFiles(deps.files, owner));
    const idempotent = request.id !== "";
    if (idempotent) {
      const stored = await deps.idempotency.claim(owner, request.id);
      if (stored) return { replay: stored, plan };
    }
    try {
      const history = request.sessionId ? await deps.sessions.history(plan.sessionId, owner) : [];
      const admission = ctx.values.get(kPrepaid) ? PREPAID : await deps.quota.admit(caller);
      for (const [name, value] of Object.entries(admission.headers)) ctx.responseHeader.set(name, value);
      const backendRequest = {
        ...plan.backendRequest,
        messages: [...plan.instructions, ...history, ...request.messages],
      };
      return new ChatRun(
        deps,
        request,
        ctx,
        streaming,
        caller,
        owner,
        requestId,
        plan,
        backendRequest,
        admission,
        idempotent,
      );
    } catch (error) {
      if (idempotent) await deps.idempotency.release(owner, request.id);
      throw error;
    }
  }

  /** The model, or the agent loop around it; attachments become the session's artifacts here. */
  async backend(): Promise<Backend> {
    this.agent ??= await assembleAgent(this.deps, {
      request: this.plan.request,
      model: this.plan.backend,
      sessionId: this.plan.sessionId,
      owner: this.owner,
      streaming: this.streaming,
      signal: this.ctx.signal,
    });
    return this.agent.backend;
  }

  /** The JSON Schema answers must match, when the request has a response_format. */
  get schema() {
    return schemaOf(this.plan.request.responseFormat);
  }

  /** `preview: true`: small renditions of what the run produced. */
  async previews() {
    const agent = this.agent;
    if (!this.request.preview || !agent || agent.produced.length === 0) return [];
    const shown = await previewsOf(agent.produced, (id) => this.deps.artifacts.get(agent.scope, id));
    return shown.map((p) => create(ArtifactPreviewSchema, p));
  }

  /** Every artifact the run produced, in order, with where to fetch it. */
  artifacts(): ArtifactRef[] {
    const produced = this.agent?.produced ?? [];
    if (produced.length === 0) return [];
    const session = this.plan.sessionId;
    return produced.map((a) => ({
      $typeName: "vlmrun.agent.v1.ArtifactRef",
      id: a.id,
      contentType: a.contentType,
      bytes: BigInt(a.size),
      url: bindingUrl(AgentService.method.getArtifact, { object_id: a.id, session_id: session }),
    }));
  }

  /** A tool event of the run: kept with the answer in the session (progress messages are not). */
  noteEvent(event: AgentEvent): void {
    if (event.kind !== AgentEventKind.TOOL_PROGRESS) this.events.push(event);
  }

  /** A stream's first content or tool-call delta (time to first token). */
  firstToken(): void {
    if (this.firstTokenSeen) return;
    this.firstTokenSeen = true;
    this.deps.metrics.timeToFirstToken.observe(this.labels, (performance.now() - this.started) / 1000);
  }

  /** A failure: before any output the chat is given back, and an idempotent id is freed. */
  async fail(outputSent: boolean, error?: unknown): Promise<void> {
    this.finished(this.ctx.signal.aborted ? "cancelled" : "error", undefined, error);
    if (!outputSent) await this.admission.refund();
    if (this.idempotent) await this.deps.idempotency.release(this.owner, this.request.id);
  }

  /** The client left before the end: an idempotent id is freed, so a retry runs again. */
  async abandon(): Promise<void> {
    this.finished("cancelled");
    if (this.idempotent) await this.deps.idempotency.release(this.owner, this.request.id);
  }

  /** Metrics and one log line per chat, with what an operator asks about it. */
  private finished(outcome: "ok" | "error" | "cancelled", completion?: ChatCompletion, error?: unknown) {
    const seconds = (performance.now() - this.started) / 1000;
    const { metrics } = this.deps;
    const { variant, surface } = this.labels;
    // One labels object for both (prom-client keeps a reference to it: never mutated after).
    const labels = { variant, surface, outcome };
    metrics.chats.inc(labels);
    metrics.chatSeconds.observe(labels, seconds);
    const usage = completion?.usage;
    if (usage) {
      metrics.tokens.inc({ variant, kind: "prompt" }, usage.promptTokens);
      metrics.tokens.inc({ variant, kind: "completion" }, usage.completionTokens);
    }
    // These join the call's access-log line (one line per request, on every surface).
    const fields = this.ctx.values.get(kLogFields);
    if (!fields) return;
    fields.variant = variant;
    fields.surface = surface;
    fields.outcome = outcome;
    fields.caller = this.caller.kind;
    fields.caller_hash = callerHash(this.caller);
    fields.session_id = this.plan.sessionId;
    fields.prompt_tokens = usage?.promptTokens;
    fields.completion_tokens = usage?.completionTokens;
    fields.tool_calls = this.agent?.toolCalls ?? 0;
    if (error !== undefined) {
      fields.err = (error as Error).message;
      fields.upstream = upstreamOf(error);
    }
  }

  /**
   * Success: the turn joins the session, and an idempotent request keeps its completion. On Redis
   * the append is sent once the reply is out, not waited for: neither its round trip nor its
   * serialising is on the reply's path, and commands on one connection run in order, so the next
   * turn reads it (a failed append is logged). On the durable embedded store it is written first
   * (microseconds), so a reply is never received without its turn kept: an append that fails
   * there (a full disk) fails the chat instead, refunded when nothing was sent yet.
   */
  async settle(reply: ChatMessage, completion?: ChatCompletion, outputSent = false): Promise<void> {
    const kept = this.events.length > 0 ? { ...reply, events: this.events } : reply;
    const turn = [...this.request.messages, kept];
    try {
      await this.deps.background.forReply(
        () => this.deps.sessions.append(this.plan.sessionId, this.owner, turn),
        (error) => this.appendFailed(error),
      );
    } catch (error) {
      this.appendFailed(error);
      await this.fail(outputSent, error);
      throw error;
    }
    this.finished("ok", completion);
    if (this.idempotent && completion)
      await this.deps.idempotency.complete(this.owner, this.request.id, completion);
  }

  private appendFailed(error: unknown): void {
    this.deps.logger.error(
      { req_id: this.requestId, err: (error as Error).message, session_id: this.plan.sessionId },
      "session append failed",
    );
  }
}
