import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ToolCallSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { decideTurn, splitCalls } from "../../src/agent/turn.js";

const call = (id: string, name: string) =>
  create(ToolCallSchema, { id, type: "function", function: { name, arguments: "{}" } });
const server = new Set(["crop", "ocr"]);
const caps = { steps: 3, toolCalls: 4 };

describe("one agent turn, decided once for both loops", () => {
  it("splits the model's calls by who answers them, keeping the model's order", () => {
    const turn = splitCalls([call("a", "crop"), call("b", "weather"), call("c", "ocr")], server);
    expect(turn.server.map((c) => c.id)).toEqual(["a", "c"]);
    expect(turn.client.map((c) => c.id)).toEqual(["b"]);
  });

  it("answers when no server call was made, client calls or not", () => {
    expect(decideTurn(splitCalls([], server), { steps: 1, calls: 0 }, caps)).toBe("answer");
    expect(decideTurn(splitCalls([call("b", "weather")], server), { steps: 1, calls: 0 }, caps)).toBe(
      "answer",
    );
  });

  it("runs server calls, and hands client calls back after them (hybrid)", () => {
    expect(decideTurn(splitCalls([call("a", "crop")], server), { steps: 1, calls: 0 }, caps)).toBe("run");
    const mixed = splitCalls([call("a", "crop"), call("b", "weather")], server);
    expect(decideTurn(mixed, { steps: 1, calls: 0 }, caps)).toBe("hybrid");
  });

  it("stops at the step cap and at the tool-call cap, counting this turn's calls", () => {
    const one = splitCalls([call("a", "crop")], server);
    expect(decideTurn(one, { steps: 2, calls: 0 }, caps)).toBe("run");
    expect(decideTurn(one, { steps: 3, calls: 0 }, caps)).toBe("cap");
    expect(decideTurn(one, { steps: 1, calls: 3 }, caps)).toBe("run");
    expect(decideTurn(one, { steps: 1, calls: 4 }, caps)).toBe("cap");
    const two = splitCalls([call("a", "crop"), call("c", "ocr")], server);
    expect(decideTurn(two, { steps: 1, calls: 3 }, caps)).toBe("cap");
  });
});
