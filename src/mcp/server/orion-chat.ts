import { create, type JsonObject } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import {
  type ChatCompletionChunk,
  ChatCompletionRequestSchema,
} from "../../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentEventKind } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { AgentService } from "../../../gen/vlmrun/agent/v1/service_pb.js";
import { type ArtifactMeta, Artifacts, kindOfContentType } from "../../artifacts/artifacts.js";
import { ToolError } from "../../errors.js";
import { toDataUrl } from "../../media/data-url.js";
import { chatRequestSchema } from "../../server/rest/contract/request-schema.js";
import { locIssues } from "../../server/rest/contract/validation-issues.js";
import { argumentProblems } from "../../tools/argument-problems.js";
import { FileRefs } from "./file-refs.js";
import { errorResult, resultContent } from "./result-content.js";
import { MCP_SESSION, type McpCall, type McpToolDeps } from "./tool-call.js";

export const ORION_CHAT = "orion_chat";

const input = z.strictObject({
  prompt: z.string().min(1).max(1_000_000).describe("What to ask the agent."),
  files: z
    .array(z.string().max(100_000_000))
    .max(16)
    .optional()
    .describe(
      'Files for the agent (images, PDFs and other documents, video, audio): data: URLs, https URLs, file ids ("file-…") or artifact ids returned by earlier calls.',
    ),
  toolsets: z
    .array(z.string().max(64))
    .max(32)
    .optional()
    .describe(
      "Tool categories the agent may use (core, document, image, image-gen, video, viz, web, world-gen); absent: chosen from the prompt and files.",
    ),
  model: z
    .string()
    .max(64)
    .optional()
    .describe('The agent variant, e.g. "vlmrun-orion-1:auto" (default), ":lite", ":pro".'),
  response_format: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      'OpenAI\'s response_format, e.g. {"type": "json_schema", "json_schema": {"name": "x", "schema": {…}}}: the answer is JSON of that schema.',
    ),
});

/** orion_chat as MCP clients see it. */
export const orionChatTool = {
  name: ORION_CHAT,
  description:
    "Ask the Orion agent: it reads the attached images, documents and video with the server's vision, document and video tools and answers (as text, or JSON matching response_format). Files it makes come back as images or links.",
  inputSchema: (() => {
    const { $schema: _, ...schema } = z.toJSONSchema(input, { io: "input" });
    return schema as JsonObject;
  })(),
};

const PART_BY_KIND = {
  image: "image_url",
  video: "video_url",
  audio: "audio_url",
  document: "file_url",
} as const;

export interface OrionChatDeps extends McpToolDeps {
  service: ServiceImpl<typeof AgentService>;
  /** A handler context for the service, for this caller, aborted with `signal`. */
  context(signal: AbortSignal): HandlerContext;
}

/**
 * The agent as a tool: the prompt and files become one user message of a streamed chat through
 * the same AgentService the REST chat uses (validation, quota, toolset router, tools), its agent
 * events become progress notifications, and its answer and artifacts the result.
 */
export async function callOrionChat(
  deps: OrionChatDeps,
  args: unknown,
  call: McpCall,
): Promise<CallToolResult> {
  const parsed = input.safeParse(args);
  if (!parsed.success)
    return errorResult(`invalid arguments for ${ORION_CHAT}: ${argumentProblems(parsed.error).join("; ")}`);
  const { prompt, files = [], toolsets, model, response_format } = parsed.data;

  const refs = new FileRefs(deps, call.owner, Artifacts.scope(call.owner, MCP_SESSION), call.signal);
  const parts: unknown[] = [{ type: "text", text: prompt }];
  try {
    for (const [i, file] of files.entries()) {
      const meta = await refs.resolve(file, `files[${i}]`);
      parts.push(await partOf(deps, refs.scope, meta));
    }
  } catch (error) {
    if (error instanceof ToolError) return errorResult(error.message);
    throw error;
  }
  const body = chatRequestSchema.safeParse({
    messages: [{ role: "user", content: parts }],
    stream: true,
    ...(model !== undefined ? { model } : {}),
    ...(toolsets !== undefined ? { toolsets } : {}),
    ...(response_format !== undefined ? { response_format } : {}),
  });
  if (!body.success) {
    const problems = locIssues(body.error.issues).map((i) => `${i.loc.slice(1).join(".")}: ${i.msg}`);
    return errorResult(`invalid arguments for ${ORION_CHAT}: ${problems.join("; ")}`);
  }

  const request = create(ChatCompletionRequestSchema, body.data);
  let answer = "";
  let sessionId = "";
  let made: { id: string }[] = [];
  // The implementation yields whole messages (ServiceImpl's type allows init shapes).
  const chunks = deps.service.streamChatCompletion(
    request,
    deps.context(call.signal),
  ) as AsyncIterable<ChatCompletionChunk>;
  for await (const chunk of chunks) {
    sessionId ||= chunk.sessionId;
    const event = chunk.agentEvent;
    if (event) call.progress(progressLine(event.kind, event.toolName, event.message));
    answer += chunk.choices[0]?.delta?.content ?? "";
    if (chunk.artifacts.length > 0) made = chunk.artifacts;
  }
  const scope = Artifacts.scope(call.owner, sessionId);
  const produced = (
    await Promise.all(made.map(async (a) => (await deps.artifacts.get(scope, a.id))?.meta))
  ).filter((m): m is ArtifactMeta => m !== undefined);
  return resultContent(answer, {
    produced,
    read: async (id) => (await deps.artifacts.get(scope, id))?.data,
    link: (id) => call.link(sessionId, id),
  });
}

/** A file of the caller's MCP scope as a content part of the chat (as a data: URL of its bytes). */
async function partOf(deps: McpToolDeps, scope: string, meta: ArtifactMeta) {
  const found = await deps.artifacts.get(scope, meta.id);
  if (!found) throw new ToolError(`artifact ${meta.id} not found`);
  const type = PART_BY_KIND[kindOfContentType(meta.contentType)];
  return { type, [type]: { url: toDataUrl(meta.contentType, found.data) } };
}

const KIND_WORDS: Partial<Record<AgentEventKind, string>> = {
  [AgentEventKind.TOOL_STARTED]: "started",
  [AgentEventKind.TOOL_FINISHED]: "finished",
  [AgentEventKind.TOOL_FAILED]: "failed",
};

function progressLine(kind: AgentEventKind, tool: string, message: string): string {
  const word = KIND_WORDS[kind];
  return [tool, word, message].filter(Boolean).join(" ").slice(0, 500) || "working";
}
