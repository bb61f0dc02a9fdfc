import { Code } from "@connectrpc/connect";
import type { ChatCompletionRequest } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { type ArtifactMeta, Artifacts, kindOfContentType } from "../artifacts/artifacts.js";
import type { Backend } from "../backends/backend.js";
import { variantOf } from "../backends/variant.js";
import type { Config } from "../config.js";
import { Reason, reasonError } from "../errors.js";
import { type ChatFiles, chatFiles, fileIdParts } from "../files/chat-files.js";
import type { FileService } from "../files/file-service.js";
import { kindOfMediaType } from "../media/part-bytes.js";
import type { ToolRegistry } from "../tools/registry.js";
import type { Need, Tool } from "../tools/tool.js";
import { AgentBackend } from "./agent-backend.js";
import { ingestAttachments } from "./attachments.js";
import { capsFor } from "./caps.js";
import { chosenToolsets, namesToolsets, selectToolsets, TOOLSET_OF_KIND } from "./selection.js";
import { systemNote } from "./system-note.js";
import type { ToolObserver } from "./tool-runner.js";

export interface AssembleDeps {
  config: Config;
  tools: ToolRegistry;
  artifacts: Artifacts;
  /** Uploaded files, which `input_file` parts name by id. */
  files?: FileService;
  /** Told how every server tool call ended, across chats (metrics). */
  observeTool?: ToolObserver;
}

/** The backend a chat runs on, with what its tools made and where those live. */
export interface AssembledAgent {
  backend: Backend;
  /** Artifacts the run's tools made, in order (filled while it runs). */
  produced: ArtifactMeta[];
  /** The owner + session the run's artifacts belong to. */
  scope: string;
  /** Server tool calls made so far. */
  readonly toolCalls: number;
}

/** Offered only because of the default toolset: the request named no toolsets, models or files. */
function onlyByDefault(request: ChatCompletionRequest, files: number, offered: readonly Tool[]): boolean {
  const named = namesToolsets(request) || request.models.length > 0;
  return !named && files === 0 && offered.every((t) => t.toolset === Toolset.CORE);
}

/**
 * For the router (a stream without `toolsets`): the toolset each uploaded file's content calls for,
 * as an image_url, video_url or file_url part of the same bytes would.
 */
async function uploadedToolsets(
  request: ChatCompletionRequest,
  streaming: boolean,
  files: ChatFiles | undefined,
): Promise<Map<string, Toolset>> {
  const found = new Map<string, Toolset>();
  if (!streaming || namesToolsets(request) || !files) return found;
  for (const { id } of fileIdParts(request.messages)) {
    const file = await files.get(id);
    const toolset = file && TOOLSET_OF_KIND[kindOfMediaType(file.contentType) ?? ""];
    if (toolset !== undefined) found.set(id, toolset);
  }
  return found;
}

/**
 * The backend this request runs on: the plain model, or the agent loop around it when server
 * tools apply (some are selected and there are files for them to work on). Attachments become
 * artifacts of the session here.
 */
export async function assembleAgent(
  deps: AssembleDeps,
  chat: {
    request: ChatCompletionRequest;
    model: Backend;
    sessionId: string;
    owner: string;
    streaming: boolean;
    signal: AbortSignal;
  },
): Promise<AssembledAgent> {
  const { config, tools, artifacts } = deps;
  const { request } = chat;
  const scope = Artifacts.scope(chat.owner, chat.sessionId);
  const produced: ArtifactMeta[] = [];
  const plain = { backend: chat.model, produced, scope, toolCalls: 0 };
  const files = deps.files && chatFiles(deps.files, chat.owner);
  const toolsets = selectToolsets(
    request,
    chat.streaming,
    await uploadedToolsets(request, chat.streaming, files),
  );
  const selected = tools.select(toolsets, request.models, request.mcpServers);
  if (selected.length === 0) return plain;
  const attached = await ingestAttachments(request.messages, artifacts, scope, {
    policy: config.fetch,
    limits: config.media,
    signal: chat.signal,
    ...(files ? { files } : {}),
  });
  const earlier = request.sessionId ? await artifacts.list(scope) : [];
  const known = [
    ...attached,
    ...earlier
      .filter((a) => !attached.some((b) => b.id === a.id))
      .map((a) => ({
        id: a.id,
        description: `${a.id} (${a.contentType})`,
        kind: kindOfContentType(a.contentType),
      })),
  ];
  // Offered: the selected tools whose needs are met by a file at hand, and the tools that need no
  // file when their toolset was chosen or their provider named. The local planner sees every
  // selected tool: telling the caller what a tool would need is part of its answer.
  const have = new Set<Need>(known.map((f) => f.kind));
  const chosen = chosenToolsets(request, toolsets, chat.streaming);
  const meets = (t: Tool) =>
    t.needs.some((need) =>
      need === "none"
        ? t.mcpServer !== undefined ||
          chosen.has(t.toolset) ||
          (t.provider !== undefined && request.models.includes(t.provider))
        : have.has(need),
    );
  const offered = chat.model.kind === "local" ? selected : selected.filter(meets);
  if (offered.length === 0) return plain;
  if (!chat.model.capabilities.tools) {
    // The default `core` alone does not turn a plain chat into one that needs tools.
    if (onlyByDefault(request, known.length, offered)) return plain;
    throw reasonError(
      Code.FailedPrecondition,
      Reason.unsupported,
      `this request needs server tools (${offered.map((t) => t.name).join(", ")}), but the model behind it is configured not to take tools (${chat.model.capabilities.toolsSetting ?? "ORION_LLM_TOOLS"}=off); send it without toolsets, models or files for tools, or use a model that calls tools`,
      { metadata: { setting: chat.model.capabilities.toolsSetting ?? "ORION_LLM_TOOLS" } },
    );
  }
  const note = systemNote(known, offered);
  let calls = 0;
  const backend = new AgentBackend(chat.model, {
    registry: tools,
    tools: offered,
    caps: capsFor(variantOf(request.model), attached.length),
    toolContext: {
      artifacts: {
        scope,
        adopt: (meta) => produced.push(meta),
        put: async (data, contentType, filename) => {
          const meta = await artifacts.put(scope, data, contentType, filename);
          produced.push(meta);
          return meta;
        },
        get: (ref) => artifacts.get(scope, ref),
      },
    },
    ...(note ? { systemNote: note } : {}),
    files: known.map((f) => ({ id: f.id, kind: f.kind })),
    observeTool: (tool, name, outcome, seconds) => {
      calls++;
      deps.observeTool?.(tool, name, outcome, seconds);
    },
  });
  return {
    backend,
    produced,
    scope,
    get toolCalls() {
      return calls;
    },
  };
}
