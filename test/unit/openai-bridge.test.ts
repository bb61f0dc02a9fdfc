import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ChatCompletionRequestSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import {
  ImageDetail,
  ResponseFormatType,
  Role,
  SkillType,
  Toolset,
} from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { locOf } from "../../src/server/http/http-error.js";
import { chatRequestSchema } from "../../src/server/rest/contract/request-schema.js";

function parse(body: unknown) {
  const result = chatRequestSchema.safeParse(body);
  if (!result.success) throw new Error(JSON.stringify(result.error.issues));
  return create(ChatCompletionRequestSchema, result.data as never);
}

describe("OpenAI JSON → proto request", () => {
  it("converts every content-part kind", () => {
    const request = parse({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AA==", detail: "high" } },
            { type: "video_url", video_url: { url: "https://x.test/v.mp4" } },
            { type: "audio_url", audio_url: "https://x.test/a.mp3" },
            { type: "file_url", file_url: { url: "https://x.test/d.pdf", detail: "auto" } },
            { type: "input_file", file_url: "https://x.test/e.pdf" },
            { type: "input_file", input_file: { file_url: "https://x.test/f.pdf" } },
          ],
        },
      ],
    });
    const parts = request.messages[0]?.parts.map((p) => p.part) ?? [];
    expect(parts[0]).toEqual({ case: "text", value: "look" });
    expect(parts[1]?.case).toBe("imageUrl");
    expect(parts[1]?.value).toMatchObject({ url: "data:image/png;base64,AA==", detail: ImageDetail.HIGH });
    expect(parts[2]).toMatchObject({ case: "videoUrl", value: { url: "https://x.test/v.mp4" } });
    expect(parts[3]).toMatchObject({ case: "audioUrl", value: { url: "https://x.test/a.mp3" } });
    expect(parts[4]).toMatchObject({ case: "fileUrl", value: { detail: ImageDetail.AUTO } });
    expect(parts[5]).toMatchObject({ case: "inputFile", value: { fileUrl: "https://x.test/e.pdf" } });
    expect(parts[6]).toMatchObject({ case: "inputFile", value: { fileUrl: "https://x.test/f.pdf" } });
    expect(request.messages[0]?.content).toBeUndefined();
  });

  it("keeps string content, null content and assistant tool calls", () => {
    const request = parse({
      messages: [
        { role: "system", content: "be brief" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: { a: 1 } } }],
        },
        { role: "tool", tool_call_id: "c1", content: "42" },
      ],
    });
    expect(request.messages.map((m) => m.role)).toEqual([Role.SYSTEM, Role.ASSISTANT, Role.TOOL]);
    expect(request.messages[0]?.content).toBe("be brief");
    expect(request.messages[1]?.content).toBeUndefined();
    expect(request.messages[1]?.toolCalls[0]?.function?.arguments).toBe('{"a":1}');
    expect(request.messages[2]?.toolCallId).toBe("c1");
  });

  it("reads logprobs in the OpenAI and the Orion spelling", () => {
    const base = { messages: [{ role: "user", content: "hi" }] };
    expect(parse({ ...base, logprobs: true, top_logprobs: 4 }).logprobs).toBe(4);
    expect(parse({ ...base, logprobs: true }).logprobs).toBe(0);
    expect(parse({ ...base, logprobs: 5 }).logprobs).toBe(5);
    expect(parse({ ...base, logprobs: false }).logprobs).toBeUndefined();
  });

  it("reads response_format in the Fireworks form, the OpenAI form and the bare-schema form", () => {
    const base = { messages: [{ role: "user", content: "hi" }] };
    const schema = { type: "object", properties: { x: { type: "string" } } };
    const fireworks = parse({ ...base, response_format: { type: "json_schema", schema } }).responseFormat;
    expect(fireworks).toMatchObject({ type: ResponseFormatType.JSON_SCHEMA, schema });
    const openai = parse({
      ...base,
      response_format: { type: "json_schema", json_schema: { name: "n", schema, strict: true } },
    });
    expect(openai.responseFormat?.jsonSchema).toMatchObject({ name: "n", schema, strict: true });
    const bare = parse({ ...base, response_format: { type: "json_schema", json_schema: schema } });
    expect(bare.responseFormat?.jsonSchema?.schema).toEqual(schema);
  });

  it("reads skills, with the deprecated version and bundle spellings", () => {
    const request = parse({
      messages: [{ role: "user", content: "hi" }],
      skills: [
        { skill_name: "invoice-extraction", version: "20260219-abc" },
        { type: "inline", name: "mine", description: "d", bundle: Buffer.from("PK").toString("base64") },
      ],
      toolsets: ["3d_reconstruction"],
    });
    expect(request.skills[0]).toMatchObject({
      type: SkillType.SKILL_REFERENCE,
      skillName: "invoice-extraction",
      skillVersion: "20260219-abc",
    });
    expect(request.skills[1]?.type).toBe(SkillType.INLINE);
    expect(Buffer.from(request.skills[1]?.source?.data ?? []).toString()).toBe("PK");
    expect(request.toolsets).toEqual([Toolset.WORLD_GEN]);
  });
});

describe("field paths → FastAPI loc", () => {
  it.each([
    ["messages", ["body", "messages"]],
    ["messages[0].role", ["body", "messages", 0, "role"]],
    ["messages[2].parts[1].image_url.url", ["body", "messages", 2, "content", 1, "image_url", "url"]],
    ["metadata.a.b", ["body", "metadata", "a.b"]],
    ["toolsets[3]", ["body", "toolsets", 3]],
  ])("%s", (field, loc) => {
    expect(locOf(field)).toEqual(loc);
  });
});
