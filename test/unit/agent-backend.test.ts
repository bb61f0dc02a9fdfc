import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ChatMessageSchema, ToolCallSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentEventKind, FinishReason, Role, Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentBackend } from "../../src/agent/agent-backend.js";
import { capsFor } from "../../src/agent/caps.js";
import type {
  Backend,
  BackendChoice,
  BackendRequest,
  BackendResult,
  BackendStreamPart,
} from "../../src/backends/backend.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { defineTool } from "../../src/tools/tool.js";

// The agent loop driven in process, with a scripted model beneath it: no HTTP, no upstream.

const echo = defineTool({
  name: "echo",
  description: "Echo a word.",
  toolset: Toolset.CORE,
  needs: ["none"],
  input: { word: z.string() },
  async execute(input, ctx) {
    ctx.progress(`echoing ${input.word}`);
    return { summary: `echoed ${input.word}`, artifacts: [] };
  },
});

type Turn = { content?: string; calls?: [name: string, args: unknown][] };

/** A model that answers each request with the next scripted turn, and records what it was sent. */
class ScriptedModel implements Backend {
  readonly kind = "scripted";
  readonly description = "scripted";
  readonly capabilities = { logprobs: false, followsInstructions: true, vision: false, tools: true };
  readonly requests: BackendRequest[] = [];
  private next = 0;

  constructor(private readonly turns: Turn[]) {}

  private turn(request: BackendRequest): Turn {
    this.requests.push(request);
    return this.turns[Math.min(this.next++, this.turns.length - 1)] ?? {};
  }

  private choice(turn: Turn): BackendChoice {
    const toolCalls = (turn.calls ?? []).map(([name, args], i) =>
      create(ToolCallSchema, {
        id: `call_${this.next}_${i}`,
        type: "function",
        function: { name, arguments: JSON.stringify(args) },
      }),
    );
    return {
      index: 0,
      ...(turn.content !== undefined ? { content: turn.content } : {}),
      toolCalls,
      finishReason: toolCalls.length > 0 ? FinishReason.TOOL_CALLS : FinishReason.STOP,
    };
  }

  async generate(request: BackendRequest): Promise<BackendResult> {
    return {
      choices: [this.choice(this.turn(request))],
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    };
  }

  async *stream(request: BackendRequest): AsyncGenerator<BackendStreamPart> {
    const choice = this.choice(this.turn(request));
    if (choice.content) yield { type: "text", choice: 0, text: choice.content };
    for (const [index, call] of choice.toolCalls.entries()) {
      yield {
        type: "tool-call",
        choice: 0,
        index,
        id: call.id,
        name: call.function?.name ?? "",
        argumentsDelta: call.function?.arguments ?? "",
      };
    }
    yield { type: "finish", choice: 0, reason: choice.finishReason };
  }
}

const request = (n = 1): BackendRequest => ({
  messages: [create(ChatMessageSchema, { role: Role.USER, content: "go" })],
  sampling: { n, temperature: 1, stop: [] },
  tools: [
    { type: "function", function: { name: "weather", description: "", parameters: {} } },
  ] as BackendRequest["tools"],
});
const options = () => ({ signal: new AbortController().signal, requestId: "r1" });

function agent(model: Backend, caps = { steps: 4, toolCalls: 8 }) {
  return new AgentBackend(model, {
    registry: new ToolRegistry().register(echo),
    tools: [echo],
    caps,
    toolContext: {
      artifacts: { scope: "s", put: async () => ({}) as never, get: async () => undefined, adopt: () => {} },
    },
  });
}

describe("AgentBackend, driven in process", () => {
  it("runs server calls, feeds results back, and answers", async () => {
    const model = new ScriptedModel([{ calls: [["echo", { word: "hi" }]] }, { content: "done" }]);
    const result = await agent(model).generate(request(), options());
    expect(result.choices[0]).toMatchObject({
      content: "done",
      toolCalls: [],
      finishReason: FinishReason.STOP,
    });
    const fed = model.requests[1]?.messages.at(-1);
    expect(fed).toMatchObject({ role: Role.TOOL, toolCallId: "call_1_0" });
    expect(result.usage?.totalTokens).toBe(4);
  });

  it("stops each variant at its caps with a note, whole and streamed", async () => {
    for (const variant of ["lite", "fast", "pro"] as const) {
      const caps = capsFor(variant, 0);
      const looping = () => new ScriptedModel([{ calls: [["echo", { word: "again" }]] }]);
      const model = looping();
      const whole = await agent(model, caps).generate(request(), options());
      expect(whole.choices[0]?.finishReason).toBe(FinishReason.LENGTH);
      expect(whole.choices[0]?.content).toContain(`caps ${caps.steps} steps`);
      expect(model.requests).toHaveLength(caps.steps);
      const parts: BackendStreamPart[] = [];
      for await (const part of agent(looping(), caps).stream(request(), options())) parts.push(part);
      expect(parts.filter((p) => p.type === "finish").at(-1)).toMatchObject({ reason: FinishReason.LENGTH });
    }
  });

  it("in hybrid mode runs the server's calls, then hands the client's back, in both loops", async () => {
    const turns: Turn[] = [
      {
        calls: [
          ["echo", { word: "x" }],
          ["weather", { city: "Paris" }],
        ],
      },
    ];
    const whole = await agent(new ScriptedModel(turns)).generate(request(), options());
    expect(whole.choices[0]?.finishReason).toBe(FinishReason.TOOL_CALLS);
    expect(whole.choices[0]?.toolCalls.map((c) => c.function?.name)).toEqual(["weather"]);
    const parts: BackendStreamPart[] = [];
    for await (const part of agent(new ScriptedModel(turns)).stream(request(), options())) parts.push(part);
    const calls = parts.filter((p) => p.type === "tool-call");
    expect(calls.map((p) => (p.type === "tool-call" ? p.name : ""))).toEqual(["weather"]);
    expect(parts.at(-2)).toMatchObject({ type: "finish", reason: FinishReason.TOOL_CALLS });
  });

  it("streams tool events in order: started, progress, finished, then the answer", async () => {
    const model = new ScriptedModel([{ calls: [["echo", { word: "w" }]] }, { content: "after" }]);
    const seen: string[] = [];
    for await (const part of agent(model).stream(request(), options())) {
      if (part.type === "event") seen.push(AgentEventKind[part.event.kind] ?? "?");
      if (part.type === "text") seen.push(`text:${part.text}`);
    }
    expect(seen).toEqual(["TOOL_STARTED", "TOOL_PROGRESS", "TOOL_FINISHED", "text:after"]);
  });

  it("runs n > 1 as independent trajectories, each with n = 1", async () => {
    const model = new ScriptedModel([{ content: "a" }]);
    const result = await agent(model).generate(request(2), options());
    expect(result.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(model.requests.map((r) => r.sampling.n)).toEqual([1, 1]);
  });

  it("keeps the model's calls in the model's order in the history, whole and streamed", async () => {
    const turns: Turn[] = [
      {
        calls: [
          ["echo", { word: "b" }],
          ["echo", { word: "a" }],
        ],
      },
      { content: "ok" },
    ];
    for (const streamed of [false, true]) {
      const model = new ScriptedModel(turns);
      if (streamed) for await (const _ of agent(model).stream(request(), options()));
      else await agent(model).generate(request(), options());
      const sent = model.requests[1]?.messages ?? [];
      const assistant = sent.find((m) => m.role === Role.ASSISTANT);
      expect(assistant?.toolCalls.map((c) => c.function?.arguments)).toEqual([
        '{"word":"b"}',
        '{"word":"a"}',
      ]);
      expect(sent.filter((m) => m.role === Role.TOOL).map((m) => m.toolCallId)).toEqual(
        assistant?.toolCalls.map((c) => c.id),
      );
    }
  });
});
