import { describe, expect, it } from "vitest";
import { systemNote } from "../../src/agent/system-note.js";

describe("systemNote", () => {
  const long = {
    name: "long_tool",
    description: `Does ${"very ".repeat(20)}much. Then more.`,
  };
  const short = { name: "load_url", description: "Load a file from a URL. Returns its id." };

  it("names each tool with the first sentence of its description, cut at 60 characters", () => {
    const expected =
      "Files attached to this conversation, usable by id in tool calls: img_1 (image/png). " +
      `Server tools: long_tool (Does ${"very ".repeat(10)}very…); load_url (Load a file from a URL). ` +
      "Tools that create files return new ids; mention them in your answer.";
    const files = [{ id: "img_1", description: "img_1 (image/png)" }];
    expect(systemNote(files, [long, short])).toBe(expected);
    // The second chat with the same tools says the same (gists are remembered).
    expect(systemNote(files, [long, short])).toBe(expected);
  });

  it("says nothing without files or tools", () => {
    expect(systemNote([], [])).toBeUndefined();
  });
});
