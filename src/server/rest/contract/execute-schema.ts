import type { MessageInitShape } from "@bufbuild/protobuf";
import { z } from "zod";
import type { ContentPartSchema } from "../../../../gen/vlmrun/agent/v1/chat_pb.js";
import type { ExecuteAgentRequestSchema } from "../../../../gen/vlmrun/agent/v1/executions_pb.js";
import { wireNames } from "../../../wire/names.js";
import { contentPart, jsonObject, skill, wireEnum } from "./request-schema.js";

type PartInit = MessageInitShape<typeof ContentPartSchema>;

/** A named input: a content part, or a bare string as a text part. */
const input = z.union([
  z.string().transform((text): PartInit => ({ part: { case: "text", value: text } })),
  contentPart,
]);

/** Hosted options this server does not implement: refused when set rather than silently ignored. */
const unsupported = z.null().optional().describe("not supported by this server: leave it out or null");

/**
 * The hosted `POST /v1/agent/execute` body as a zod schema whose output is the proto request's init
 * shape. JSON types and spellings only; the rules are the service's (executions/execution-spec.ts).
 * Unknown keys are a 422, so nothing a caller sends is silently dropped.
 */
export const executeRequestSchema = z
  .object({
    name: z.string().nullish(),
    model: wireEnum(wireNames.agentModel).nullish(),
    inputs: z.record(z.string().min(1).max(128), input).nullish(),
    config: z
      .object({
        prompt: z.string().nullish(),
        json_schema: jsonObject.nullish(),
        skills: z.array(skill).nullish(),
        max_tokens: z.int32().nullish(),
        temperature: z.number().nullish(),
        service_tier: unsupported,
        orchestration_mode: unsupported,
      })
      .strict()
      .nullish(),
    toolsets: z.array(wireEnum(wireNames.toolset)).nullish(),
    batch: z.boolean().nullish(),
    callback_url: z.string().nullish(),
    metadata: jsonObject.nullish(),
    priority: unsupported,
  })
  .strict()
  .transform((r) => {
    const request: MessageInitShape<typeof ExecuteAgentRequestSchema> = {
      name: r.name ?? "",
      model: r.model ?? 0,
      inputs: r.inputs ?? {},
      toolsets: r.toolsets ?? [],
      callbackUrl: r.callback_url ?? "",
    };
    if (r.batch != null) request.batch = r.batch;
    if (r.metadata) request.metadata = r.metadata;
    const c = r.config;
    if (c) {
      request.config = {
        prompt: c.prompt ?? "",
        skills: c.skills ?? [],
        ...(c.json_schema ? { jsonSchema: c.json_schema } : {}),
        ...(c.max_tokens != null ? { maxTokens: c.max_tokens } : {}),
        ...(c.temperature != null ? { temperature: c.temperature } : {}),
      };
    }
    return request;
  });
