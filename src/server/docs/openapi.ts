import { z } from "zod";
import { executeRequestSchema } from "../rest/contract/execute-schema.js";
import { ExecutionEventJson, ExecutionJson, ExecutionListJson } from "../rest/contract/execution-schemas.js";
import { chatRequestSchema } from "../rest/contract/request-schema.js";
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
} from "../rest/contract/response-schemas.js";
import { filesPaths } from "./files-openapi.js";

type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (what OpenAPI 3.1 uses), requests as sent, replies as sent. */
function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any", reused: "inline" });
  return rest;
}

const json = (schema: z.ZodType) => ({ "application/json": { schema: schemaOf(schema, "output") } });

/** The error replies every API route may give. Built when the document is, not at import. */
const errors = () => ({
  "4XX": {
    description: "A client error: `detail` (FastAPI style) and `error` (OpenAI style)",
    content: json(ErrorJson),
  },
  "5XX": { description: "A server or upstream error, in the same shape", content: json(ErrorJson) },
});

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

/** An API route for any caller (key, JWT or guest): its 200 reply, plus the shared errors. */
function api(
  summary: string,
  tag: string,
  reply: { description: string; content: unknown },
  parameters?: unknown[],
): Operation {
  return {
    summary,
    tags: [tag],
    ...(parameters ? { parameters } : {}),
    responses: ok(reply.description, reply.content, errors()),
    security: callers,
  };
}

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
      errors(),
    ),
    security: callers,
  };
}

/** /mcp, one method: its JSON-RPC is MCP's (Streamable HTTP), described by MCP, not here. */
function mcpOperation(summary: string, replies: Record<string, unknown>, withBody = false): Operation {
  return {
    summary,
    tags: ["mcp"],
    ...(withBody
      ? { requestBody: { required: true, content: { "application/json": { schema: { type: "object" } } } } }
      : {}),
    responses: { ...replies, ...errors() },
    security: [{ bearer: [] }],
  };
}

/** Durable executions: signed-in callers only (API key or JWT). */
function executionPaths(): Record<string, Record<string, Operation>> {
  const signedIn = [{ bearer: [] }];
  const execution = { description: "The execution", content: json(ExecutionJson) };
  const id = [pathParam("id", "The execution's id")];
  const op = (summary: string, reply: { description: string; content: unknown }, parameters?: unknown[]) => ({
    ...api(summary, "executions", reply, parameters),
    security: signedIn,
  });
  return {
    "/v1/agent/execute": {
      post: {
        ...op("Start a durable agent run in the background (batch: true); returns it pending", execution),
        requestBody: {
          required: true,
          content: { "application/json": { schema: schemaOf(executeRequestSchema, "input") } },
        },
      },
    },
    "/v1/agent/executions": {
      get: op(
        "The caller's executions, newest first",
        { description: "A JSON array", content: json(ExecutionListJson) },
        [queryParam("skip", "How many to pass over (0)", false), queryParam("limit", "1..100 (10)", false)],
      ),
    },
    "/v1/agent/executions/{id}": { get: op("One execution", execution, id) },
    "/v1/agent/executions/{id}/cancel": {
      post: op("Cancel a pending or running execution (409 once it has ended)", execution, id),
    },
    "/v1/agent/executions/{id}/events": {
      get: op(
        "The execution's events as server-sent events (id: = sequence number), replayed after starting_after or Last-Event-ID, then live; ends after the final event",
        {
          description: "Server-sent events",
          content: {
            "text/event-stream": {
              schema: { type: "string" },
              itemSchema: schemaOf(ExecutionEventJson, "output"),
            },
          },
        },
        [...id, queryParam("starting_after", "Replay from the event after this sequence number", false)],
      ),
    },
  };
}

/** Every REST route of the server as an OpenAPI 3.1 document; `/openapi.json` serves it. */
export function openApiDocument(version: string) {
  const listModels = api("The agent models, and which tool providers are configured", "models", {
    description: "Models",
    content: json(ModelListJson),
  });
  const getModel = api("One agent model", "models", { description: "The model", content: json(ModelJson) }, [
    pathParam("id", 'e.g. "vlmrun-orion-1:auto"'),
  ]);
  const session = [pathParam("session_id", "The session's id")];
  const paths: Record<string, Record<string, Operation>> = {
    "/v1/openai/chat/completions": { post: chatOperation("Run the agent (OpenAI chat completions)") },
    "/v1/chat/completions": { post: chatOperation("The same, at the base URL OpenAI-compatible tools use") },
    "/v1/openai/models": { get: listModels },
    "/v1/models": { get: listModels },
    "/v1/openai/models/{id}": { get: getModel },
    "/v1/models/{id}": { get: getModel },
    "/v1/quota": {
      get: api("The caller's remaining allowance", "account", {
        description: "Quota",
        content: json(QuotaJson),
      }),
    },
    "/v1/sessions/{session_id}": {
      get: api(
        "A conversation kept by session_id (its owner only)",
        "account",
        { description: "The session", content: json(SessionJson) },
        session,
      ),
      delete: api(
        "Forget a conversation",
        "account",
        { description: "Deleted", content: json(DeletedJson) },
        session,
      ),
    },
    "/v1/artifacts": {
      get: api(
        "A file of a session (images, documents, videos the agent read or made)",
        "artifacts",
        {
          description: "The file's bytes, with its content type",
          content: {
            "application/octet-stream": {
              schema: { type: "string", contentMediaType: "application/octet-stream" },
            },
          },
        },
        [
          queryParam("object_id", 'e.g. "img_a1b2c3"'),
          queryParam("session_id", "The session it belongs to (or execution_id)", false),
          queryParam("execution_id", "The execution that made it (or session_id)", false),
        ],
      ),
    },
    "/v1/artifacts/list": {
      get: api(
        "The files of a session",
        "artifacts",
        { description: "Artifacts", content: json(ArtifactListJson) },
        [
          queryParam("session_id", "The session (or execution_id)", false),
          queryParam("execution_id", "The execution (or session_id)", false),
        ],
      ),
    },
    "/v1/skills": {
      get: api("The skills this server has", "agent", {
        description: "Skills",
        content: json(SkillListJson),
      }),
    },
    "/v1/tools": {
      get: api("Every server tool, whether it can run here, and what enables it if not", "agent", {
        description: "Tools",
        content: json(ToolListJson),
      }),
    },
    "/mcp": {
      post: mcpOperation(
        "MCP (Streamable HTTP, stateless): JSON-RPC messages; every available tool and orion_chat. An API key or JWT only (guests get 401)",
        {
          "200": {
            description: "The JSON-RPC response, as an SSE stream with progress notifications",
            content: { "text/event-stream": { schema: { type: "string" } } },
          },
          "202": { description: "Notifications accepted" },
        },
        true,
      ),
      get: mcpOperation("MCP: the standalone SSE stream (notifications/tools/list_changed)", {
        "200": {
          description: "An SSE stream",
          content: { "text/event-stream": { schema: { type: "string" } } },
        },
      }),
      delete: mcpOperation("MCP: end a session (stateless: nothing is kept, so nothing to end)", {
        "200": { description: "Ended" },
      }),
    },
    ...executionPaths(),
    ...filesPaths({ schemaOf, json, errors, pathParam, queryParam }),
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
        responses: ok("Prometheus text format", { "text/plain": { schema: { type: "string" } } }, errors()),
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
    // No jsonSchemaDialect: OpenAPI 3.1's default dialect (JSON Schema 2020-12 with the OAS
    // vocabulary) is what these schemas are, and Swagger UI warns on any other value.
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "An API key (ORION_API_KEYS, `npm run orion -- keys create`) or a JWT",
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
