import { z } from "zod";
import { wireNames } from "../../../wire/names.js";
import type { HttpError } from "../../http/http-error.js";

/**
 * The JSON the REST surface sends, as zod schemas: the OpenAPI document's response schemas
 * (`/openapi.json`). A test checks real responses against that document, and each renderer builds
 * its reply as the matching type below (`z.output` of the schema), so a field the renderer writes
 * and the contract does not have, or one the contract requires and the renderer leaves out, fails
 * `tsc`.
 */

const nullableString = z.string().nullable();
const iso = z.string().describe("ISO 8601 time").nullable();

const toolCall = z.object({
  id: z.string(),
  type: z.literal("function"),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const tokenLogprob = z.object({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(z.number().int()).nullable(),
});
const logprobs = z
  .object({ content: z.array(tokenLogprob.extend({ top_logprobs: z.array(tokenLogprob) })) })
  .nullable();

const usage = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

const preview = z.object({ object_id: z.string(), content_type: z.string(), data_url: z.string() });
export const artifactRef = z
  .object({ id: z.string(), content_type: z.string(), bytes: z.number().int(), url: z.string() })
  .describe("A file the agent made: fetch its bytes from `url` (GET /v1/artifacts)");

const finishReason = z.enum(wireNames.finishReason.spellings as [string, ...string[]]);

export const ChatCompletionJson = z.object({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({
        role: z.literal("assistant"),
        content: nullableString,
        refusal: nullableString,
        tool_calls: z.array(toolCall).optional(),
      }),
      logprobs,
      finish_reason: finishReason,
    }),
  ),
  usage,
  session_id: z.string(),
  system_fingerprint: z.string().optional(),
  previews: z.array(preview).optional(),
  artifacts: z.array(artifactRef),
  _provenance: z.record(z.string(), z.unknown()).optional().describe("Where each extracted value was found"),
});
export type ChatCompletionJson = z.output<typeof ChatCompletionJson>;

export const AgentEventJson = z.object({
  sequence: z.number().int(),
  kind: z.string(),
  tool_name: z.string(),
  call_id: z.string(),
  message: z.string(),
  artifact_ids: z.array(z.string()),
  choice_index: z.number().int(),
});
export type AgentEventJson = z.output<typeof AgentEventJson>;

export const ChatCompletionChunkJson = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion.chunk"),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        delta: z.object({
          role: z.string().optional(),
          content: z.string().optional(),
          refusal: z.string().optional(),
          tool_calls: z
            .array(
              z.object({
                index: z.number().int(),
                id: z.string(),
                type: z.literal("function").optional(),
                function: z.object({ name: z.string().optional(), arguments: z.string() }),
              }),
            )
            .optional(),
        }),
        logprobs,
        finish_reason: finishReason.nullable(),
      }),
    ),
    session_id: z.string(),
    system_fingerprint: z.string().optional(),
    usage: usage.optional(),
    agent_event: AgentEventJson.optional(),
    previews: z.array(preview).optional(),
    artifacts: z.array(artifactRef).optional(),
  })
  .describe("One SSE `data:` event; the stream ends with `data: [DONE]`");
export type ChatCompletionChunkJson = z.output<typeof ChatCompletionChunkJson>;

export const ModelJson = z.object({
  id: z.string(),
  object: z.literal("model"),
  created: z.number().int(),
  owned_by: z.string(),
  backend: z.string(),
  resolves_to: z.string(),
});
export type ModelJson = z.output<typeof ModelJson>;

export const ModelListJson = z.object({
  object: z.literal("list"),
  data: z.array(ModelJson),
  providers: z.array(
    z.object({
      id: z.string(),
      available: z.boolean(),
      setting: z.string(),
      unavailable_reason: z.string().optional(),
    }),
  ),
});
export type ModelListJson = z.output<typeof ModelListJson>;

export const QuotaJson = z.object({
  caller_kind: z.string(),
  plan: z.string(),
  daily_limit: z.number().int().nullable(),
  used_today: z.number().int().nullable(),
  remaining_today: z.number().int().nullable(),
  requests_per_minute: z.number().int().nullable(),
  resets_at: iso,
});
export type QuotaJson = z.output<typeof QuotaJson>;

export const SessionJson = z.object({
  session_id: z.string().optional(),
  created_at: iso,
  updated_at: iso,
  messages: z.array(z.record(z.string(), z.unknown())).describe("OpenAI-shaped chat messages"),
  artifact_ids: z.array(z.string()),
});
export type SessionJson = z.output<typeof SessionJson>;

export const DeletedJson = z.object({ deleted: z.literal(true) });
export type DeletedJson = z.output<typeof DeletedJson>;

export const SkillListJson = z.object({
  object: z.literal("list"),
  data: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      description: z.string(),
      skill_version: z.string(),
      toolsets: z.array(z.string().optional()),
      model: z.string().nullable(),
    }),
  ),
});
export type SkillListJson = z.output<typeof SkillListJson>;

const artifactItem = z.object({
  object_id: z.string(),
  filename: nullableString,
  content_type: z.string(),
  size: z.number().int(),
  created_at: iso,
  source: z.literal("store"),
});

export const ArtifactListJson = z.object({
  object: z.literal("list"),
  data: z.array(artifactItem),
  namespace_id: z.string(),
  items: z.array(artifactItem).describe("The same list, under the hosted API's name"),
});
export type ArtifactListJson = z.output<typeof ArtifactListJson>;

export const ToolListJson = z.object({
  object: z.literal("list"),
  data: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      toolset: z.string().nullable(),
      provider: z.string().nullable(),
      needs: z.array(z.string()),
      available: z.boolean(),
      unavailable_reason: z.string().optional(),
    }),
  ),
});
export type ToolListJson = z.output<typeof ToolListJson>;

export const FileObjectJson = z
  .object({
    id: z.string(),
    object: z.literal("file"),
    filename: z.string(),
    bytes: z.number().int(),
    purpose: z.string(),
    created_at: z.string().describe("ISO 8601 time"),
    public_url: z.null().describe("Files are not public here: read them at /v1/files/{id}/content"),
  })
  .describe("An uploaded file (the vlmrun SDKs' FileResponse)");
export type FileObjectJson = z.output<typeof FileObjectJson>;

export const FileListJson = z.array(FileObjectJson).describe("The caller's files, newest first");

export const FileDeletedJson = FileObjectJson.extend({ deleted: z.literal(true) });
export type FileDeletedJson = z.output<typeof FileDeletedJson>;

export const PresignedUploadJson = z.object({
  id: z.string().describe("The upload's id: verify it at /v1/files/verify-upload/{id}"),
  url: z.string().describe("PUT the bytes here (no credentials; single use; signed, expiring)"),
  filename: z.string(),
  content_type: z.string(),
  upload_method: z.literal("PUT"),
  expiration: z.number().int().describe("Seconds the URL is good for"),
  created_at: z.string().describe("ISO 8601 time"),
  public_url: z.null(),
});
export type PresignedUploadJson = z.output<typeof PresignedUploadJson>;

const locIssue = z.object({
  loc: z.array(z.union([z.string(), z.number().int()])),
  msg: z.string(),
  type: z.string(),
});

export const ErrorJson = z.object({
  detail: z
    .union([z.string(), z.array(locIssue)])
    .describe("FastAPI style: a message, or one issue per field"),
  error: z
    .object({ message: z.string(), type: z.string(), code: z.string(), param: nullableString })
    .describe("OpenAI style"),
});

/**
 * The error body is built in server/http/ (which imports nothing above it) as `HttpError["body"]`;
 * this pins that type to the contract's both ways, so changing either alone fails `tsc`.
 */
export type ErrorJson = Assignable<HttpError["body"], z.output<typeof ErrorJson>> &
  Assignable<z.output<typeof ErrorJson>, HttpError["body"]>;
type Assignable<From extends To, To> = From;

export const HealthJson = z.object({ status: z.string() });
export const ReadyJson = z.object({
  status: z.enum(["ready", "not_ready"]),
  draining: z.boolean(),
  checks: z.record(z.string(), z.boolean()),
  tool_workers: z
    .record(z.string(), z.number().int())
    .optional()
    .describe("With ORION_TOOL_QUEUE=redis: tool workers present per toolset with heavy tools"),
});
