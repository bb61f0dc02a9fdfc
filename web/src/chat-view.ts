import { Code, ConnectError } from "@connectrpc/connect";
import type { ChatCompletionChunk, ChatMessage } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentEventKind, Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { describeError } from "./errors.js";
import { currentSession, setSession } from "./session.js";
import { AssistantTurn, notice, type ToolStatus, userTurn } from "./transcript.js";
import { api } from "./transport.js";
import { ui } from "./ui.js";

// The transcript: turns shown as they stream, artifacts fetched and shown, the last conversation
// restored after a reload.

export function show(node: HTMLElement) {
  ui.transcript.append(node);
  ui.empty.hidden = true;
  node.scrollIntoView({ block: "end" });
}

/** The empty state (example prompts) shows exactly when the conversation has nothing in it. */
export function showEmptyState() {
  ui.empty.hidden = ui.transcript.childElementCount > 0;
}

// ---- artifacts: fetched over the same RPC service, shown as blob: URLs ----

const artifactUrls = new Map<string, { url: string; contentType: string }>();

async function showArtifact(turn: AssistantTurn, objectId: string) {
  try {
    let known = artifactUrls.get(objectId);
    if (!known) {
      const a = await api().getArtifact({ objectId, sessionId: currentSession() });
      const url = URL.createObjectURL(new Blob([a.data as BlobPart], { type: a.contentType }));
      known = { url, contentType: a.contentType };
      artifactUrls.set(objectId, known);
    }
    turn.artifact(objectId, known.contentType, known.url);
  } catch (error) {
    turn.error(`Could not load ${objectId}: ${describeError(error).text}`);
  }
}

const TOOL_STATUS: Record<number, ToolStatus> = {
  [AgentEventKind.TOOL_STARTED]: "running",
  [AgentEventKind.TOOL_PROGRESS]: "running",
  [AgentEventKind.TOOL_FINISHED]: "finished",
  [AgentEventKind.TOOL_FAILED]: "failed",
};

/** One streamed chunk into the turn it belongs to: session, tool events, previews, files, text. */
export function handleChunk(turn: AssistantTurn, chunk: ChatCompletionChunk) {
  if (chunk.sessionId && chunk.sessionId !== currentSession()) setSession(chunk.sessionId);
  const event = chunk.agentEvent;
  if (event) turn.tool(event.callId, event.toolName, TOOL_STATUS[event.kind] ?? "running", event.message);
  for (const p of chunk.previews) turn.preview(p.objectId, p.dataUrl);
  // The final chunk lists every file the run made, in order: that list is what the turn shows.
  if (chunk.artifacts.length > 0) {
    void (async () => {
      for (const a of chunk.artifacts) await showArtifact(turn, a.id);
    })();
  }
  for (const choice of chunk.choices) {
    const delta = choice.delta?.content;
    if (choice.index === 0 && delta) turn.appendText(delta);
  }
}

// ---- restoring the last conversation after a reload ----

function textOf(message: ChatMessage): string {
  if (message.content !== undefined) return message.content;
  return message.parts
    .map((p) => (p.part.case === "text" ? p.part.value : ""))
    .filter((t) => t !== "")
    .join("\n");
}

export async function restoreSession() {
  const sessionId = currentSession();
  if (!sessionId) {
    setSession("");
    return;
  }
  try {
    const { session } = await api().getSession({ sessionId });
    setSession(sessionId);
    for (const m of session?.messages ?? []) {
      if (m.role === Role.USER) {
        const images = m.parts.flatMap((p) => {
          if (p.part.case === "imageUrl")
            return [{ name: "image", type: "image/*", dataUrl: p.part.value.url }];
          if (p.part.case === "inputFile" && p.part.value.fileId) {
            return [{ name: p.part.value.fileId, type: "", dataUrl: "" }];
          }
          return [];
        });
        show(userTurn(textOf(m), images));
      } else if (m.role === Role.ASSISTANT && (textOf(m) !== "" || m.events.length > 0)) {
        const turn = new AssistantTurn();
        for (const event of m.events) {
          turn.tool(event.callId, event.toolName, TOOL_STATUS[event.kind] ?? "finished", event.message);
        }
        turn.setText(textOf(m));
        turn.done();
        show(turn.root);
      }
    }
    const files = session?.artifactIds ?? [];
    if (files.length > 0) {
      const shelf = new AssistantTurn("Files in this conversation");
      show(shelf.root);
      await Promise.all(files.map((id) => showArtifact(shelf, id)));
      shelf.done();
    }
    show(notice("Conversation restored."));
  } catch (error) {
    if (ConnectError.from(error).code === Code.NotFound) {
      setSession("");
      show(notice("The last conversation has expired; this is a new one."));
    } else {
      show(notice(`Could not restore the last conversation: ${describeError(error).text}`, "error"));
    }
  }
}
