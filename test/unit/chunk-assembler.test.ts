import { describe, expect, it } from "vitest";
import { FinishReason } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { ChunkAssembler, completionOf } from "../../src/backends/openai-compatible/response-parse.js";

describe("upstream chunks → stream parts", () => {
  it("assigns index and id to tool-call deltas that lack them", () => {
    const a = new ChunkAssembler();
    const first = a.parts({
      choices: [{ index: 0, delta: { tool_calls: [{ function: { name: "f", arguments: "" } }] } }],
    });
    const second = a.parts({
      choices: [{ index: 0, delta: { tool_calls: [{ function: { arguments: "{}" } }] } }],
    });
    const third = a.parts({
      choices: [{ index: 0, delta: { tool_calls: [{ id: "call_b", function: { name: "g" } }] } }],
    });
    const [p1] = first;
    const [p2] = second;
    const [p3] = third;
    expect(p1).toMatchObject({ type: "tool-call", index: 0, name: "f" });
    expect(p1?.type === "tool-call" && p1.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(p2).toMatchObject({ type: "tool-call", index: 0, argumentsDelta: "{}" });
    expect(p2?.type === "tool-call" && p1?.type === "tool-call" && p2.id === p1.id).toBe(true);
    expect(p3).toMatchObject({ type: "tool-call", index: 1, id: "call_b", name: "g" });
  });

  it("keeps text, finish and usage, and raises an in-band error", () => {
    const a = new ChunkAssembler();
    expect(
      a.parts({
        choices: [{ index: 1, delta: { content: "x" }, finish_reason: "length" }],
        usage: { prompt_tokens: 1, completion_tokens: 2 },
      }),
    ).toEqual([
      { type: "text", choice: 1, text: "x" },
      { type: "finish", choice: 1, reason: FinishReason.LENGTH },
      { type: "usage", usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 } },
    ]);
    expect(() => a.parts({ error: { message: "nope" } })).toThrow(/nope/);
  });

  it("refuses a completion without choices", () => {
    expect(() => completionOf({ choices: [] })).toThrow(/no choices/);
  });
});
