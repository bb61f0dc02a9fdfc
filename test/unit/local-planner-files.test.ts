import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ChatMessageSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import type { BackendRequest } from "../../src/backends/backend.js";
import { LocalPlanner } from "../../src/backends/local-planner/local-planner.js";
import { imageInfo } from "../../src/tools/core/image-info.js";

// The planner learns the files at hand from the request's typed attachments, not from the words
// of the server's system note: rewording or dropping the note must not change what it does.

function request(note: string | undefined, words = "How big is this image?"): BackendRequest {
  return {
    messages: [
      ...(note ? [create(ChatMessageSchema, { role: Role.SYSTEM, content: note })] : []),
      create(ChatMessageSchema, { role: Role.USER, content: words }),
    ],
    sampling: { n: 1, temperature: 1, stop: [] },
    tools: [
      {
        type: "function",
        function: {
          name: imageInfo.name,
          description: imageInfo.description,
          parameters: imageInfo.parameters,
        },
      },
    ] as BackendRequest["tools"],
    attachments: [{ id: "img_a1b2c3", kind: "image" }],
  };
}

describe("the local planner reads the files from the request", () => {
  it("calls the tool on the attached image whatever the note says, or without one", async () => {
    for (const note of [
      "Files attached to this conversation: img_a1b2c3 (png).",
      "Dateien: keine Angabe",
      undefined,
    ]) {
      const result = await new LocalPlanner().generate(request(note), {
        signal: new AbortController().signal,
        requestId: "r",
      });
      const call = result.choices[0]?.toolCalls[0];
      expect(call?.function?.name, String(note)).toBe("image_info");
      expect(JSON.parse(call?.function?.arguments ?? "{}"), String(note)).toEqual({ image: "img_a1b2c3" });
    }
  });
});

describe("the local planner and a hostile instruction", () => {
  // Its argument regexes rescan a run of digits or letters from every start: a megabyte of them
  // held the event loop for minutes. It reads the first PLANNER_TEXT_CHARS; the bound is generous.
  it.each([
    ["digits", `How big is this image? ${"1".repeat(1_000_000)}`],
    ["letters", `How big is this image? ${"a".repeat(1_000_000)}`],
  ])("plans in time however long the words: a megabyte of %s", async (_, words) => {
    const started = performance.now();
    const result = await new LocalPlanner().generate(request(undefined, words), {
      signal: new AbortController().signal,
      requestId: "r",
    });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result.choices[0]?.toolCalls[0]?.function?.name).toBe("image_info");
  });
});
