import type { ChatCompletionRequest } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { type ArtifactMeta, Artifacts } from "../artifacts/artifacts.js";
import type { Backend } from "../backends/backend.js";
import { type Config, variantOf } from "../config.js";
import type { ToolRegistry } from "../tools/registry.js";
import { AgentBackend } from "./agent-backend.js";
import { attachmentsNote, ingestAttachments } from "./attachments.js";
import { capsFor } from "./caps.js";
import { selectToolsets } from "./selection.js";

export interface AssembleDeps {
  config: Config;
  tools: ToolRegistry;
  artifacts: Artifacts;
}

/** The backend a chat runs on, with what its tools made and where those live. */
export interface AssembledAgent {
  backend: Backend;
  /** Artifacts the run's tools made, in order (filled while it runs). */
  produced: ArtifactMeta[];
  /** The owner + session the run's artifacts belong to. */
  scope: string;
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
  const plain = { backend: chat.model, produced, scope };
  const selected = tools.select(selectToolsets(request, chat.streaming), request.models);
  if (selected.length === 0) return plain;
  const attached = await ingestAttachments(request.messages, artifacts, scope, {
    policy: config.fetch,
    limits: config.media,
    signal: chat.signal,
  });
  const earlier = request.sessionId ? await artifacts.list(scope) : [];
  // An upstream model gets tools only when there are files for them; the local planner always
  // sees them, since choosing tools is all it does.
  if (attached.length === 0 && earlier.length === 0 && chat.model.kind !== "local") return plain;
  const known = [
    ...attached,
    ...earlier
      .filter((a) => !attached.some((b) => b.id === a.id))
      .map((a) => ({ id: a.id, description: `${a.id} (${a.contentType})` })),
  ];
  const note = attachmentsNote(known);
  const backend = new AgentBackend(chat.model, {
    registry: tools,
    tools: selected,
    caps: capsFor(variantOf(request.model), attached.length),
    toolContext: {
      artifacts: {
        put: async (data, contentType, filename) => {
          const meta = await artifacts.put(scope, data, contentType, filename);
          produced.push(meta);
          return meta;
        },
        get: (ref) => artifacts.get(scope, ref),
      },
    },
    ...(note ? { attachmentsNote: note } : {}),
  });
  return { backend, produced, scope };
}
