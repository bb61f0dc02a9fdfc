import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import { z } from "zod";
import type {
  ChatCompletionRequestSchema,
  ChatMessageSchema,
  ContentPartSchema,
} from "../../../../gen/vlmrun/agent/v1/chat_pb.js";
import type { EnumWireNames } from "../../../wire/enum-names.js";
import { wireNames } from "../../../wire/names.js";

/**
 * The OpenAI-compatible request body, as a zod schema whose output is the proto request's init
 * shape. It checks JSON types and wire spellings only; ranges and cross-field rules live in the
 * service (validate-request.ts) so every surface shares them.
 */

/** A wire spelling → its proto enum value; unknown spellings list the allowed ones. */
export function wireEnum<E extends number>(names: EnumWireNames<E>) {
  return wireEnumOr(names, () => undefined);
}

/**
 * wireEnum, with spellings `other` takes as they are (an outside MCP server's "mcp:<name>"); the
 * error for an unknown spelling is the same.
 */
function wireEnumOr<E extends number, O>(
  names: EnumWireNames<E>,
  other: (spelling: string) => O | undefined,
) {
  // The spellings also become the enum of the request schema in /openapi.json.
  return z
    .string()
    .meta({ enum: [...names.spellings] })
    .transform((spelling, ctx) => {
      const value = names.fromWire(spelling) ?? other(spelling);
      if (value === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `Input should be ${names.spellings.map((s) => `'${s}'`).join(", ")}`,
          params: { type: "enum" },
        });
        return z.NEVER;
      }
      return value;
    });
}

export const jsonObject = z.record(z.string(), z.unknown()).transform((o) => o as JsonObject);
const int = z.number().int();
/** Proto int32 fields: out-of-range values are a 422 here, as they are for Connect's decoder. */
const int32 = z.int32();

const urlRef = z
  .union([z.object({ url: z.string(), detail: wireEnum(wireNames.imageDetail).optional() }), z.string()])
  .transform((ref) => (typeof ref === "string" ? { url: ref } : ref));

const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/\s]*={0,2}$/, { message: "Input should be base64 data" })
  .transform((data) => new Uint8Array(Buffer.from(data, "base64")));

type PartInit = MessageInitShape<typeof ContentPartSchema>;

export const contentPart = z.discriminatedUnion("type", [
  z
    .object({ type: z.literal("text"), text: z.string() })
    .transform((p): PartInit => ({ part: { case: "text" as const, value: p.text } })),
  z
    .object({ type: z.literal("image_url"), image_url: urlRef })
    .transform((p): PartInit => ({ part: { case: "imageUrl" as const, value: p.image_url } })),
  z
    .object({ type: z.literal("video_url"), video_url: urlRef })
    .transform((p): PartInit => ({ part: { case: "videoUrl" as const, value: p.video_url } })),
  z
    .object({ type: z.literal("audio_url"), audio_url: urlRef })
    .transform((p): PartInit => ({ part: { case: "audioUrl" as const, value: p.audio_url } })),
  z
    .object({ type: z.literal("file_url"), file_url: urlRef })
    .transform((p): PartInit => ({ part: { case: "fileUrl" as const, value: p.file_url } })),
  z
    .object({
      type: z.literal("input_file"),
      file_id: z.string().optional(),
      file_url: z.string().optional(),
      input_file: z.object({ file_id: z.string().optional(), file_url: z.string().optional() }).optional(),
    })
    .transform(
      (p): PartInit => ({
        part: {
          case: "inputFile",
          value: {
            fileId: p.input_file?.file_id ?? p.file_id ?? "",
            fileUrl: p.input_file?.file_url ?? p.file_url ?? "",
          },
        },
      }),
    ),
]);

const toolCall = z
  .object({
    id: z.string(),
    type: z.literal("function").optional(),
    function: z.object({
      name: z.string(),
      // Some clients send parsed arguments; the wire form is JSON text.
      arguments: z.union([z.string(), z.record(z.string(), z.unknown())]),
    }),
  })
  .transform((c) => ({
    id: c.id,
    type: "function",
    function: {
      name: c.function.name,
      arguments:
        typeof c.function.arguments === "string"
          ? c.function.arguments
          : JSON.stringify(c.function.arguments),
    },
  }));

const message = z
  .object({
    role: wireEnum(wireNames.role),
    content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
    name: z.string().nullish(),
    tool_call_id: z.string().nullish(),
    tool_calls: z.array(toolCall).nullish(),
  })
  .transform(
    (m): MessageInitShape<typeof ChatMessageSchema> => ({
      role: m.role,
      ...(typeof m.content === "string" ? { content: m.content } : {}),
      parts: Array.isArray(m.content) ? m.content : [],
      name: m.name ?? "",
      toolCallId: m.tool_call_id ?? "",
      toolCalls: m.tool_calls ?? [],
    }),
  );

const toolDefinition = z
  .object({
    type: z.literal("function"),
    function: z.object({
      name: z.string(),
      description: z.string().nullish(),
      parameters: jsonObject.nullish(),
      strict: z.boolean().nullish(),
    }),
  })
  .transform((t) => ({
    type: t.type,
    function: {
      name: t.function.name,
      description: t.function.description ?? "",
      ...(t.function.parameters ? { parameters: t.function.parameters } : {}),
      ...(typeof t.function.strict === "boolean" ? { strict: t.function.strict } : {}),
    },
  }));

const toolChoice = z
  .union([
    wireEnum(wireNames.toolChoiceMode),
    z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
  ])
  .transform((c) =>
    typeof c === "number"
      ? { choice: { case: "mode" as const, value: c } }
      : { choice: { case: "functionName" as const, value: c.function.name } },
  );

const responseFormat = z
  .object({
    type: wireEnum(wireNames.responseFormatType),
    schema: jsonObject.nullish(),
    json_schema: jsonObject.nullish(),
  })
  .transform((f, ctx) => {
    const out: { type: number; schema?: JsonObject; jsonSchema?: object } = { type: f.type };
    if (f.schema) out.schema = f.schema;
    const js = f.json_schema;
    if (js) {
      const inner = js.schema;
      if (inner !== null && typeof inner === "object" && !Array.isArray(inner)) {
        // OpenAI form: {name, description, schema, strict}.
        if (js.name !== undefined && typeof js.name !== "string") {
          ctx.addIssue({
            code: "custom",
            message: "Input should be a valid string",
            path: ["json_schema", "name"],
          });
        }
        if (js.strict !== undefined && js.strict !== null && typeof js.strict !== "boolean") {
          ctx.addIssue({
            code: "custom",
            message: "Input should be a valid boolean",
            path: ["json_schema", "strict"],
          });
        }
        out.jsonSchema = {
          name: typeof js.name === "string" ? js.name : "",
          description: typeof js.description === "string" ? js.description : "",
          schema: inner as JsonObject,
          ...(typeof js.strict === "boolean" ? { strict: js.strict } : {}),
        };
      } else {
        // The schema itself under json_schema, as some Orion docs show it.
        out.jsonSchema = { name: "", description: "", schema: js };
      }
    }
    return out;
  });

export const skill = z
  .object({
    type: wireEnum(wireNames.skillType).optional(),
    skill_id: z.string().nullish(),
    skill_name: z.string().nullish(),
    skill_version: z.string().nullish(),
    version: z.string().nullish(),
    name: z.string().nullish(),
    description: z.string().nullish(),
    source: z
      .object({ type: z.literal("base64").optional(), media_type: z.string().optional(), data: base64 })
      .nullish(),
    bundle: base64.nullish(),
  })
  .transform((s) => {
    const source = s.source ?? (s.bundle ? { data: s.bundle } : undefined);
    return {
      type: s.type ?? wireNames.skillType.fromWire("skill_reference") ?? 0,
      skillId: s.skill_id ?? "",
      skillName: s.skill_name ?? "",
      skillVersion: s.skill_version ?? s.version ?? "",
      name: s.name ?? "",
      description: s.description ?? "",
      ...(source
        ? {
            source: {
              type: "base64",
              mediaType: (source as { media_type?: string }).media_type ?? "",
              data: source.data,
            },
          }
        : {}),
    };
  });

/** An outside MCP server's toolset (ORION_MCP_SERVERS): "mcp:<name>". */
const MCP_TOOLSET = /^mcp:[a-z][a-z0-9-]{0,31}$/;

export const chatRequestSchema = z
  .object({
    messages: z.array(message),
    id: z.string().nullish(),
    model: wireEnum(wireNames.agentModel).nullish(),
    max_tokens: int32.nullish(),
    max_completion_tokens: int32.nullish(),
    n: int32.nullish(),
    temperature: z.number().nullish(),
    top_p: z.number().nullish(),
    top_k: int32.nullish(),
    logprobs: z.union([z.boolean(), int32]).nullish(),
    top_logprobs: int32.nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
    preview: z.boolean().nullish(),
    response_format: responseFormat.nullish(),
    session_id: z.string().nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    skills: z.array(skill).nullish(),
    toolsets: z
      .array(
        wireEnumOr(wireNames.toolset, (s) =>
          MCP_TOOLSET.test(s) ? { mcp: s.slice("mcp:".length) } : undefined,
        ),
      )
      .nullish()
      .describe(
        "Tool categories for this request; exactly these when given. Absent: 'core' on a request that does not stream; on a stream a router picks from the words and attached media. An outside MCP server's tools are the toolset 'mcp:<name>'.",
      ),
    models: z.array(wireEnum(wireNames.model)).nullish(),
    tools: z.array(toolDefinition).nullish(),
    tool_choice: toolChoice.nullish(),
    stop: z.union([z.string(), z.array(z.string())]).nullish(),
    seed: int.nullish(),
    presence_penalty: z.number().nullish(),
    frequency_penalty: z.number().nullish(),
    user: z.string().nullish(),
    parallel_tool_calls: z.boolean().nullish(),
  })
  .transform((r, ctx) => {
    if (r.max_tokens != null && r.max_completion_tokens != null && r.max_tokens !== r.max_completion_tokens) {
      ctx.addIssue({ code: "custom", message: "conflicts with max_tokens", path: ["max_completion_tokens"] });
    }
    const maxTokens = r.max_tokens ?? r.max_completion_tokens ?? undefined;
    // OpenAI spells it logprobs: true + top_logprobs: k; Orion spells it logprobs: k.
    let logprobs: number | undefined;
    if (typeof r.logprobs === "number") logprobs = r.logprobs;
    else if (r.logprobs === true) logprobs = r.top_logprobs ?? 0;
    else if (r.logprobs == null && r.top_logprobs != null) {
      ctx.addIssue({ code: "custom", message: "top_logprobs needs logprobs: true", path: ["top_logprobs"] });
    }
    const request: MessageInitShape<typeof ChatCompletionRequestSchema> = {
      messages: r.messages,
      id: r.id ?? "",
      model: r.model ?? 0,
      stream: r.stream ?? false,
      sessionId: r.session_id ?? "",
      metadata: r.metadata ?? {},
      skills: r.skills ?? [],
      toolsets: (r.toolsets ?? []).filter((t) => typeof t === "number"),
      mcpServers: (r.toolsets ?? []).flatMap((t) => (typeof t === "number" ? [] : [t.mcp])),
      models: r.models ?? [],
      tools: r.tools ?? [],
      stop: r.stop == null ? [] : typeof r.stop === "string" ? [r.stop] : r.stop,
      user: r.user ?? "",
    };
    if (maxTokens !== undefined) request.maxTokens = maxTokens;
    if (r.n != null) request.n = r.n;
    if (r.temperature != null) request.temperature = r.temperature;
    if (r.top_p != null) request.topP = r.top_p;
    if (r.top_k != null) request.topK = r.top_k;
    if (logprobs !== undefined) request.logprobs = logprobs;
    if (r.stream_options) request.streamOptions = { includeUsage: r.stream_options.include_usage ?? false };
    if (r.preview != null) request.preview = r.preview;
    if (r.response_format) request.responseFormat = r.response_format;
    if (r.tool_choice) request.toolChoice = r.tool_choice;
    if (r.seed != null) request.seed = BigInt(r.seed);
    if (r.presence_penalty != null) request.presencePenalty = r.presence_penalty;
    if (r.frequency_penalty != null) request.frequencyPenalty = r.frequency_penalty;
    if (r.parallel_tool_calls != null) request.parallelToolCalls = r.parallel_tool_calls;
    return request;
  });
