import { create, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, createHandlerContext } from "@connectrpc/connect";
import pino from "pino";
import { describe, expect, it } from "vitest";
import {
  type ChatCompletion,
  type ChatCompletionChunk,
  ChatCompletionRequestSchema,
  ChatCompletionSchema,
  ChatMessageSchema,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { FinishReason, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { Artifacts } from "../../src/artifacts/artifacts.js";
import type {
  Backend,
  BackendRequest,
  BackendResult,
  BackendStreamPart,
  CallOptions,
} from "../../src/backends/backend.js";
import { BackendRegistry } from "../../src/backends/registry.js";
import { type Config, loadConfig } from "../../src/config.js";
import { Reason, reasonError } from "../../src/errors.js";
import { type Caller, kCaller, ownerOf } from "../../src/identity/caller.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { Quota, windowOf } from "../../src/quota/quota.js";
import { SchemaValidator } from "../../src/schema/validator.js";
import { createAgentService } from "../../src/service/agent-service.js";
import { BackgroundWrites } from "../../src/service/background-writes.js";
import { callerCaps } from "../../src/service/caller-caps.js";
import type { ChatDeps } from "../../src/service/chat-run.js";
import { Idempotency } from "../../src/service/idempotency.js";
import { Sessions } from "../../src/sessions/sessions.js";
import { SkillLibrary } from "../../src/skills/skill-library.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import type { Store } from "../../src/store/store.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { connectErrorOf } from "../support/connect-error.js";
import { failingStore } from "../support/failing-store.js";

// ChatRun driven in process through the AgentService that createAgentService builds, with a
// scripted model as the backend of every variant, a real MemoryStore beneath quota, sessions and
// idempotency, and a HandlerContext from connect: no HTTP, no upstream.

/** One model call: an answer, a failure (after the answer's text, when streamed), or a wait for the abort. */
type Step = { content?: string; fail?: boolean; waitForAbort?: boolean };

const upstreamDown = () => reasonError(Code.Unavailable, Reason.upstreamUnavailable, "upstream down");

class ScriptedModel implements Backend {
  readonly kind = "scripted";
  readonly description = "scripted";
  readonly capabilities = { logprobs: false, followsInstructions: true, vision: false, tools: true };
  readonly requests: BackendRequest[] = [];

  constructor(private readonly steps: Step[]) {}

  private step(request: BackendRequest): Step {
    this.requests.push(request);
    return this.steps[Math.min(this.requests.length, this.steps.length) - 1] ?? {};
  }

  async generate(request: BackendRequest): Promise<BackendResult> {
    const step = this.step(request);
    if (step.fail) throw upstreamDown();
    return {
      choices: [{ index: 0, content: step.content ?? "", toolCalls: [], finishReason: FinishReason.STOP }],
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    };
  }

  async *stream(request: BackendRequest, options: CallOptions): AsyncGenerator<BackendStreamPart> {
    const step = this.step(request);
    if (step.waitForAbort) {
      await new Promise((_, reject) =>
        options.signal.addEventListener("abort", () => reject(upstreamDown())),
      );
    }
    if (step.content) yield { type: "text", choice: 0, text: step.content };
    if (step.fail) throw upstreamDown();
    yield { type: "finish", choice: 0, reason: FinishReason.STOP };
  }
}

/** The registry app.ts builds, with the scripted model behind every variant. */
class ScriptedRegistry extends BackendRegistry {
  constructor(
    config: Config,
    private readonly model: Backend,
  ) {
    super(config);
  }

  override for(): Backend {
    return this.model;
  }
}

const caller: Caller = { kind: "guest", id: "browser-1", ip: "203.0.113.7" };
const owner = ownerOf(caller);

/** The service as app.ts wires it (minus tools and skills), over `store`. */
function serviceOf(steps: Step[], env: Record<string, string> = {}, store: Store = new MemoryStore()) {
  const config = loadConfig({ ORION_GUEST_DAILY_LIMIT: "5", ...env });
  const model = new ScriptedModel(steps);
  const metrics = createMetrics();
  const deps: ChatDeps = {
    config,
    caps: callerCaps(config),
    backends: new ScriptedRegistry(config, model),
    background: new BackgroundWrites(),
    quota: new Quota(store, config.quota, metrics, pino({ level: "silent" })),
    sessions: new Sessions(store, config.sessions),
    idempotency: new Idempotency(store),
    formats: new SchemaValidator(config.schema),
    tools: new ToolRegistry(),
    skills: new SkillLibrary(undefined),
    artifacts: new Artifacts(store, {
      maxBytes: config.sessions.artifactMaxBytes,
      ttlMs: config.sessions.ttlMs,
    }),
    logger: pino({ level: "silent" }),
    metrics,
  };
  const service = createAgentService(deps);
  const quotaKey = windowOf(caller, config.quota)?.key as string;

  const contextFor = (method: (typeof AgentService.method)[keyof typeof AgentService.method]) =>
    createHandlerContext({
      service: AgentService,
      method,
      protocolName: "connect",
      requestMethod: "POST",
      url: `/${AgentService.typeName}/${method.name}`,
      contextValues: createContextValues().set(kCaller, caller),
    });
  const requestOf = (init: { id?: string; sessionId?: string; text?: string; temperature?: number }) =>
    create(ChatCompletionRequestSchema, {
      messages: [create(ChatMessageSchema, { role: Role.USER, content: init.text ?? "hi" })],
      id: init.id ?? "",
      sessionId: init.sessionId ?? "",
      ...(init.temperature !== undefined ? { temperature: init.temperature } : {}),
    });

  return {
    deps,
    model,
    store,
    /** Chats charged to the caller today. */
    charged: async () => (await store.peek(quotaKey)).count,
    /** The chats metric's outcomes, counted. */
    outcomes: async () =>
      Object.fromEntries((await metrics.chats.get()).values.map((v) => [v.labels.outcome, v.value])),
    whole: async (init: Parameters<typeof requestOf>[0] = {}) =>
      (await service.createChatCompletion(
        requestOf(init),
        contextFor(AgentService.method.createChatCompletion),
      )) as ChatCompletion,
    /** A stream, and its context (to abort it as a client that leaves would). */
    stream: (init: Parameters<typeof requestOf>[0] = {}) => {
      const ctx = contextFor(AgentService.method.streamChatCompletion);
      const chunks = service.streamChatCompletion(requestOf(init), ctx) as AsyncIterable<ChatCompletionChunk>;
      return { iterator: chunks[Symbol.asyncIterator](), ctx };
    },
  };
}

/** Reads a stream to its end, or to the error that ended it. */
async function drain(iterator: AsyncIterator<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) chunks.push(next.value);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error: error as ConnectError };
  }
}

const answerOf = (completion: ChatCompletion) => completion.choices[0]?.message?.content;

describe("ChatRun, driven in process", () => {
  it("charges a completed chat once and gives back one that failed before any output", async () => {
    const chat = serviceOf([{ content: "ok" }, { fail: true }]);
    expect(answerOf(await chat.whole())).toBe("ok");
    expect(await chat.charged()).toBe(1);
    expect((await connectErrorOf(chat.whole())).code).toBe(Code.Unavailable);
    expect(await chat.charged()).toBe(1);
    expect(await chat.outcomes()).toEqual({ ok: 1, error: 1 });
  });

  it("charges nothing for a request it refuses before the model", async () => {
    const chat = serviceOf([{ content: "ok" }]);
    expect((await connectErrorOf(chat.whole({ id: "bad", temperature: 9 }))).code).toBe(Code.InvalidArgument);
    expect(chat.model.requests).toHaveLength(0);
    expect(await chat.charged()).toBe(0);
  });

  it("frees a failed idempotent request's id, so a retry runs again", async () => {
    const chat = serviceOf([{ fail: true }, { content: "second time" }]);
    expect((await connectErrorOf(chat.whole({ id: "req-1" }))).code).toBe(Code.Unavailable);
    expect(answerOf(await chat.whole({ id: "req-1" }))).toBe("second time");
    expect(chat.model.requests).toHaveLength(2);
    expect(await chat.charged()).toBe(1);
  });

  it("replays a completed idempotent request, whole or streamed, without calling the model or charging", async () => {
    const chat = serviceOf([{ content: "only once" }, { content: "never" }]);
    const first = await chat.whole({ id: "req-2" });
    const again = await chat.whole({ id: "req-2" });
    expect(toJson(ChatCompletionSchema, again)).toEqual(toJson(ChatCompletionSchema, first));
    const { chunks, error } = await drain(chat.stream({ id: "req-2" }).iterator);
    expect(error).toBeUndefined();
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("only once");
    expect(chunks.every((c) => c.id === first.id)).toBe(true);
    expect(chat.model.requests).toHaveLength(1);
    expect(await chat.charged()).toBe(1);
  });

  it("frees an idempotent id when the quota refuses the request", async () => {
    const store = new MemoryStore();
    const strict = serviceOf([{ content: "ok" }], { ORION_GUEST_DAILY_LIMIT: "1" }, store);
    await strict.whole({ id: "a" });
    expect((await connectErrorOf(strict.whole({ id: "b" }))).code).toBe(Code.ResourceExhausted);
    // With room again (the same store, a higher limit), "b" runs rather than being "in progress".
    const roomier = serviceOf([{ content: "b ran" }], { ORION_GUEST_DAILY_LIMIT: "2" }, store);
    expect(answerOf(await roomier.whole({ id: "b" }))).toBe("b ran");
  });

  it("answers Unavailable when the session cannot be read, charging nothing and freeing the id", async () => {
    const { store, state } = failingStore(new MemoryStore());
    const chat = serviceOf([{ content: "ok" }], {}, store);
    Object.assign(state, { down: true, only: ["readSession"] });
    const refused = await connectErrorOf(chat.whole({ id: "req-3", sessionId: "s1" }));
    expect(refused.code).toBe(Code.Unavailable);
    expect(chat.model.requests).toHaveLength(0);
    expect(await chat.charged()).toBe(0);
    state.down = false;
    expect(answerOf(await chat.whole({ id: "req-3", sessionId: "s1" }))).toBe("ok");
  });

  it("appends the turn to the session once settled, and sends it back as the next turn's history", async () => {
    const chat = serviceOf([{ content: "first answer" }, { fail: true }, { content: "second answer" }]);
    await chat.whole({ sessionId: "s1", text: "first question" });
    await connectErrorOf(chat.whole({ sessionId: "s1", text: "lost question" }));
    await chat.deps.background.drain(5_000);
    const history = await chat.deps.sessions.history("s1", owner);
    expect(history.map((m) => [m.role, m.content])).toEqual([
      [Role.USER, "first question"],
      [Role.ASSISTANT, "first answer"],
    ]);
    await chat.whole({ sessionId: "s1", text: "second question" });
    const sent = chat.model.requests[2]?.messages.map((m) => m.content);
    expect(sent).toEqual(["first question", "first answer", "second question"]);
  });

  it("streamed: refunds a failure before any output, keeps the charge after it, and frees the id both ways", async () => {
    const chat = serviceOf([{ fail: true }, { content: "partial", fail: true }, { content: "whole" }]);
    expect((await drain(chat.stream({ id: "s" }).iterator)).error?.code).toBe(Code.Unavailable);
    expect(await chat.charged()).toBe(0);
    const cut = await drain(chat.stream({ id: "s" }).iterator);
    expect(cut.error?.code).toBe(Code.Unavailable);
    expect(cut.chunks.some((c) => c.choices[0]?.delta?.content === "partial")).toBe(true);
    expect(await chat.charged()).toBe(1);
    expect((await drain(chat.stream({ id: "s" }).iterator)).error).toBeUndefined();
    expect(chat.model.requests).toHaveLength(3);
    expect(await chat.charged()).toBe(2);
  });

  it("an abandoned stream keeps its charge (output was sent) and frees its id", async () => {
    const chat = serviceOf([{ content: "streaming" }, { content: "retried" }]);
    const { iterator } = chat.stream({ id: "left" });
    expect((await iterator.next()).done).toBe(false);
    await iterator.return?.();
    expect(await chat.charged()).toBe(1);
    expect(await chat.outcomes()).toEqual({ cancelled: 1 });
    const retry = await drain(chat.stream({ id: "left" }).iterator);
    expect(retry.error).toBeUndefined();
    expect(retry.chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("retried");
    expect(chat.model.requests).toHaveLength(2);
  });

  it("a stream cancelled before any output is refunded and frees its id", async () => {
    const chat = serviceOf([{ waitForAbort: true }, { content: "retried" }]);
    const { iterator, ctx } = chat.stream({ id: "gone" });
    const reading = drain(iterator);
    while (chat.model.requests.length === 0) await new Promise((r) => setImmediate(r));
    ctx.abort(new ConnectError("the client closed the connection", Code.Canceled));
    expect((await reading).chunks).toEqual([]);
    expect(await chat.charged()).toBe(0);
    expect(await chat.outcomes()).toEqual({ cancelled: 1 });
    expect((await drain(chat.stream({ id: "gone" }).iterator)).error).toBeUndefined();
  });
});
