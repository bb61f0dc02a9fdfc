import { z } from "zod";
import { chatRequestSchema } from "../rest/request-schema.js";
import {
  ArtifactListJson,
  ChatCompletionChunkJson,
  ChatCompletionJson,
  DeletedJson,
  ErrorJson,
  HealthJson,
  ModelJson,
  ModelListJson,
  QuotaJson,
  ReadyJson,
  SessionJson,
  SkillListJson,
  ToolListJson,
} from "../rest/response-schemas.js";

type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (what OpenAPI 3.1 uses), requests as sent, replies as sent. */
function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any", reused: "inline" });
  return rest;
}

const json = (schema: z.ZodType) => ({ "application/json": { schema: schemaOf(schema, "output") } });

const errors = {
  "4XX": {
    description: "A client error: `detail` (FastAPI style) and `error` (OpenAI style)",
    content: json(ErrorJson),
  },
  "5XX": { description: "A server or upstream error, in the same shape", content: json(ErrorJson) },
};

const callers = [{ bearer: [] }, { browserId: [] }, {}];

interface Operation {
  summary: string;
  tags: string[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: unknown[];
}

const ok = (description: string, content: unknown, extra: Record<string, unknown> = {}) => ({
  "200": { description, content },
  ...extra,
});

const queryParam = (name: string, description: string, required = true) => ({
  name,
  in: "query",
  required,
  description,
  schema: { type: "string" },
});
const pathParam = (name: string, description: string) => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string" },
});

function chatOperation(summary: string): Operation {
  return {
    summary,
    tags: ["chat"],
    requestBody: {
      required: true,
      content: { "application/json": { schema: schemaOf(chatRequestSchema, "input") } },
    },
    responses: ok(
      "The answer; with `stream: true`, server-sent events of chunks ending with `data: [DONE]`",
      {
        "application/json": { schema: schemaOf(ChatCompletionJson, "output") },
        "text/event-stream": {
          schema: { type: "string" },
          itemSchema: schemaOf(ChatCompletionChunkJson, "output"),
        },
      },
      errors,
    ),
    security: callers,
  };
}

const listModels: Operation = {
  summary: "The agent models, and which tool providers are configured",
  tags: ["models"],
  responses: ok("Models", json(ModelListJson), errors),
  security: callers,
};
const getModel: Operation = {
  summary: "One agent model",
  tags: ["models"],
  parameters: [pathParam("id", 'e.g. "vlmrun-orion-1:auto"')],
  responses: ok("The model", json(ModelJson), errors),
  security: callers,
};

/** Every REST route of the server as an OpenAPI 3.1 document; `/openapi.json` serves it. */
export function openApiDocument(version: string) {
  const paths: Record<string, Record<string, Operation>> = {
    "/v1/openai/chat/completions": { post: chatOperation("Run the agent (OpenAI chat completions)") },
    "/v1/chat/completions": { post: chatOperation("The same, at the base URL OpenAI-compatible tools use") },
    "/v1/openai/models": { get: listModels },
    "/v1/models": { get: listModels },
    "/v1/openai/models/{id}": { get: getModel },
    "/v1/models/{id}": { get: getModel },
    "/v1/quota": {
      get: {
        summary: "The caller's remaining allowance",
        tags: ["account"],
        responses: ok("Quota", json(QuotaJson), errors),
        security: callers,
      },
    },
    "/v1/sessions/{session_id}": {
      get: {
        summary: "A conversation kept by session_id (its owner only)",
        tags: ["account"],
        parameters: [pathParam("session_id", "The session's id")],
        responses: ok("The session", json(SessionJson), errors),
        security: callers,
      },
      delete: {
        summary: "Forget a conversation",
        tags: ["account"],
        parameters: [pathParam("session_id", "The session's id")],
        responses: ok("Deleted", json(DeletedJson), errors),
        security: callers,
      },
    },
    "/v1/artifacts": {
      get: {
        summary: "A file of a session (images, documents, videos the agent read or made)",
        tags: ["artifacts"],
        parameters: [
          queryParam("object_id", 'e.g. "img_a1b2c3"'),
          queryParam("session_id", "The session it belongs to"),
        ],
        responses: ok(
          "The file's bytes, with its content type",
          {
            "application/octet-stream": {
              schema: { type: "string", contentMediaType: "application/octet-stream" },
            },
          },
          errors,
        ),
        security: callers,
      },
    },
    "/v1/artifacts/list": {
      get: {
        summary: "The files of a session",
        tags: ["artifacts"],
        parameters: [queryParam("session_id", "The session")],
        responses: ok("Artifacts", json(ArtifactListJson), errors),
        security: callers,
      },
    },
    "/v1/skills": {
      get: {
        summary: "The skills this server has",
        tags: ["agent"],
        responses: ok("Skills", json(SkillListJson), errors),
        security: callers,
      },
    },
    "/v1/tools": {
      get: {
        summary: "Every server tool, whether it can run here, and what enables it if not",
        tags: ["agent"],
        responses: ok("Tools", json(ToolListJson), errors),
        security: callers,
      },
    },
    "/healthz": {
      get: {
        summary: "Alive",
        tags: ["operations"],
        responses: ok("Alive", json(HealthJson)),
        security: [{}],
      },
    },
    "/readyz": {
      get: {
        summary: "Ready to serve: not draining and the store answers",
        tags: ["operations"],
        responses: {
          ...ok("Ready", json(ReadyJson)),
          "503": { description: "Not ready", content: json(ReadyJson) },
        },
        security: [{}],
      },
    },
    "/metrics": {
      get: {
        summary: "Prometheus metrics (bearer ORION_METRICS_TOKEN when set)",
        tags: ["operations"],
        responses: ok("Prometheus text format", { "text/plain": { schema: { type: "string" } } }, errors),
        security: [{ metricsToken: [] }, {}],
      },
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Orion Server",
      version,
      description:
        "A self-hostable server for the VLM Run Orion agent API. The same service is also served over gRPC, gRPC-Web and Connect at /vlmrun.agent.v1.AgentService/<Method> (server reflection is on).",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "An API key (ORION_API_KEYS, `npx orion keys create`) or a JWT",
        },
        browserId: {
          type: "apiKey",
          in: "header",
          name: "X-Browser-Id",
          description: "A guest's browser id (10 chats a day)",
        },
        metricsToken: { type: "http", scheme: "bearer" },
      },
    },
  };
}
