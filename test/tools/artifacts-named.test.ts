import { create } from "@bufbuild/protobuf";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { ChatMessageSchema, ToolCallSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { FinishReason, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { LocalPlanner } from "../../src/backends/local-planner/local-planner.js";
import { makePdf, textImage } from "../support/documents.js";
import { toolHarness } from "../support/tool-harness.js";
import { makeVideo } from "../support/videos.js";

/** Every built-in tool that writes files, each called once with a real input. */
async function artifactCalls(
  h: ReturnType<typeof toolHarness>,
): Promise<[string, Record<string, unknown>][]> {
  const photo = await h.put(
    await sharp({ create: { width: 120, height: 80, channels: 3, background: "#3366cc" } })
      .png()
      .toBuffer(),
    "image/png",
  );
  const mask = await h.put(
    await sharp({ create: { width: 120, height: 80, channels: 3, background: "#ffffff" } })
      .png()
      .toBuffer(),
    "image/png",
  );
  const scan = await h.put(await textImage(["Invoice 7731", "Total 12.50"]), "image/png");
  const pdf = await h.put(await makePdf([{ lines: ["Invoice 7731", "Total 12.50"] }]), "application/pdf");
  const video = await h.put(makeVideo(), "video/mp4");
  const box = [0.1, 0.1, 0.5, 0.5];
  return [
    ["crop", { image: photo, xywh: box }],
    ["resize", { image: photo, width: 60 }],
    ["rotate", { image: photo, degrees: 90 }],
    ["flip", { image: photo }],
    ["grayscale", { image: photo }],
    ["blur_regions", { image: photo, boxes: [box] }],
    ["annotate", { image: photo, boxes: [{ xywh: box, label: "x" }] }],
    ["overlay", { image: photo, mask }],
    ["segment_person", { image: photo }],
    ["chart", { type: "bar", labels: ["a", "b"], values: [1, 2] }],
    ["pdf_render", { file: pdf, page: 1 }],
    ["redact", { image: scan, texts: ["7731"] }],
    ["redact", { file: pdf, texts: ["7731"] }],
    ["sample_frames", { video, count: 3 }],
    ["scene_cuts", { video }],
    ["trim", { video, start: 1, duration: 2 }],
    ["load_url", { url: "data:text/plain;base64,aGVsbG8=" }],
  ];
}

/** The planner's answer after one tool call whose result the agent fed back as a tool message. */
async function answerAfter(tool: string, output: Record<string, unknown>): Promise<string> {
  const planner = new LocalPlanner();
  const result = await planner.generate(
    {
      messages: [
        create(ChatMessageSchema, { role: Role.USER, content: `run ${tool}` }),
        create(ChatMessageSchema, {
          role: Role.ASSISTANT,
          toolCalls: [
            create(ToolCallSchema, {
              id: "call_1",
              type: "function",
              function: { name: tool, arguments: "{}" },
            }),
          ],
        }),
        create(ChatMessageSchema, { role: Role.TOOL, toolCallId: "call_1", content: JSON.stringify(output) }),
      ],
      tools: [],
      sampling: { n: 1 },
    } as never,
    { signal: new AbortController().signal, requestId: "t" },
  );
  expect(result.choices[0]?.finishReason).toBe(FinishReason.STOP);
  return result.choices[0]?.content ?? "";
}

describe("the local planner's answer names every file its tools made", () => {
  it("for every tool that writes files, in the order they were made", async () => {
    const h = toolHarness();
    const checked: string[] = [];
    for (const [tool, args] of await artifactCalls(h)) {
      const result = await h.run(tool, args);
      const ids = result.artifacts.map((a) => a.id);
      expect(ids.length, tool).toBeGreaterThan(0);
      // What the agent loop feeds back (agent/tool-runner.ts): summary, result, artifact ids.
      const answer = await answerAfter(tool, {
        summary: result.summary,
        result: result.data ?? null,
        artifacts: ids,
      });
      const positions = ids.map((id) => answer.indexOf(id));
      expect(
        positions.every((p) => p >= 0),
        `${tool}: ${answer}`,
      ).toBe(true);
      expect(
        [...positions].sort((a, b) => a - b),
        `${tool}: ${answer}`,
      ).toEqual(positions);
      checked.push(tool);
    }
    expect(new Set(checked).size).toBe(16);
  }, 120_000);
});
