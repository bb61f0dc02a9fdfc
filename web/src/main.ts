import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ChatCompletionChunk,
  ChatCompletionRequestSchema,
  type ChatMessage,
  ContentPartSchema,
} from "../../gen/vlmrun/agent/v1/chat_pb.js";
import {
  AgentEventKind,
  type AgentModel,
  type Model,
  Role,
  type Toolset,
} from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { wireNames } from "../../src/wire/names.js";
import { type Attachment, attach, formatBytes, partOf } from "./attachments.js";
import { type AgentClient, agentClient, type Protocol } from "./client.js";
import { describeError } from "./errors.js";
import { browserId, readServerSettings, remembered } from "./settings.js";
import { AssistantTurn, el, notice, type ToolStatus, userTurn } from "./transcript.js";
import "./styles.css";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  transcript: $<HTMLOListElement>("transcript"),
  composer: $<HTMLFormElement>("composer"),
  prompt: $<HTMLTextAreaElement>("prompt"),
  files: $<HTMLInputElement>("files"),
  attachments: $<HTMLDivElement>("attachments"),
  send: $<HTMLButtonElement>("send"),
  stop: $<HTMLButtonElement>("stop"),
  newChat: $<HTMLButtonElement>("new-chat"),
  quota: $<HTMLParagraphElement>("quota"),
  model: $<HTMLSelectElement>("model"),
  toolsets: $<HTMLDivElement>("toolsets"),
  providers: $<HTMLDivElement>("providers"),
  protocol: $<HTMLSelectElement>("protocol"),
  apiKey: $<HTMLInputElement>("api-key"),
  sessionLabel: $<HTMLParagraphElement>("session-label"),
};

const settings = readServerSettings();
const guestId = browserId();
let client: AgentClient;
let sessionId = remembered.get("session-id") ?? "";
let pending: Attachment[] = [];
let running: AbortController | undefined;

function connect() {
  client = agentClient(ui.protocol.value as Protocol, guestId, () => ui.apiKey.value);
}

function show(node: HTMLElement) {
  ui.transcript.append(node);
  node.scrollIntoView({ block: "end" });
}

function setSession(id: string) {
  sessionId = id;
  remembered.set("session-id", id || null);
  ui.sessionLabel.textContent = id ? `Session ${id}` : "New conversation";
}

// ---- settings: models, toolsets and providers come from the server ----

function checkbox(container: HTMLElement, value: string, label: string, disabledReason?: string) {
  const wrapper = el("label", "check");
  const input = el("input");
  input.type = "checkbox";
  input.value = value;
  if (disabledReason) {
    input.disabled = true;
    wrapper.title = disabledReason;
    wrapper.classList.add("unavailable");
  }
  wrapper.append(input, document.createTextNode(` ${label}`));
  container.append(wrapper);
}

async function loadModels() {
  for (const toolset of wireNames.toolset.values) {
    const name = wireNames.toolset.toWire(toolset) ?? String(toolset);
    checkbox(ui.toolsets, String(toolset), name);
  }
  try {
    const { models, providers } = await client.listModels({});
    for (const m of models) {
      const option = el("option", undefined, m.id);
      option.value = String(m.model);
      option.title = m.backend;
      ui.model.append(option);
    }
    for (const p of providers) {
      const reason = p.available ? undefined : p.unavailableReason || `set ${p.setting}`;
      checkbox(ui.providers, String(p.model), p.available ? p.id : `${p.id} (not configured)`, reason);
    }
  } catch (error) {
    show(notice(`Could not list the models: ${describeError(error).text}`, "error"));
  }
  restorePreferences();
}

function checkedValues(container: HTMLElement): number[] {
  return [...container.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => Number(i.value));
}

interface Preferences {
  model?: string;
  toolsets?: number[];
  providers?: number[];
  protocol?: string;
}

function preferences(): Preferences {
  try {
    return JSON.parse(remembered.get("preferences") ?? "{}") as Preferences;
  } catch {
    return {};
  }
}

function savePreferences() {
  remembered.set(
    "preferences",
    JSON.stringify({
      model: ui.model.value,
      toolsets: checkedValues(ui.toolsets),
      providers: checkedValues(ui.providers),
      protocol: ui.protocol.value,
    }),
  );
  remembered.set("api-key", ui.apiKey.value.trim() || null);
}

function restorePreferences() {
  const saved = preferences();
  if (saved.model && [...ui.model.options].some((o) => o.value === saved.model)) ui.model.value = saved.model;
  const tick = (container: HTMLElement, values: unknown) => {
    const wanted = Array.isArray(values) ? values : [];
    for (const input of container.querySelectorAll<HTMLInputElement>("input:not(:disabled)")) {
      input.checked = wanted.includes(Number(input.value));
    }
  };
  tick(ui.toolsets, saved.toolsets);
  tick(ui.providers, saved.providers);
}

// ---- quota ----

async function refreshQuota() {
  try {
    const q = await client.getQuota({});
    if (q.dailyLimit === undefined) {
      ui.quota.textContent = `Signed in (${q.callerKind.replace("_", " ")}, ${q.plan} plan): no daily cap`;
      ui.quota.dataset.state = "unlimited";
    } else {
      const left = q.remainingToday ?? 0;
      ui.quota.textContent = `${left} of ${q.dailyLimit} guest chats left today`;
      ui.quota.dataset.state = left === 0 ? "exhausted" : "ok";
    }
  } catch (error) {
    ui.quota.textContent = describeError(error).text;
    ui.quota.dataset.state = "error";
  }
}

// ---- artifacts: fetched over the same RPC service, shown as blob: URLs ----

const artifactUrls = new Map<string, { url: string; contentType: string }>();

async function showArtifact(turn: AssistantTurn, objectId: string) {
  try {
    let known = artifactUrls.get(objectId);
    if (!known) {
      const a = await client.getArtifact({ objectId, sessionId });
      const url = URL.createObjectURL(new Blob([a.data as BlobPart], { type: a.contentType }));
      known = { url, contentType: a.contentType };
      artifactUrls.set(objectId, known);
    }
    turn.artifact(objectId, known.contentType, known.url);
  } catch (error) {
    turn.error(`Could not load ${objectId}: ${describeError(error).text}`);
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

async function restoreSession() {
  if (!sessionId) {
    setSession("");
    return;
  }
  try {
    const { session } = await client.getSession({ sessionId });
    setSession(sessionId);
    for (const m of session?.messages ?? []) {
      if (m.role === Role.USER) {
        const images = m.parts.flatMap((p) =>
          p.part.case === "imageUrl" ? [{ name: "image", type: "image/*", dataUrl: p.part.value.url }] : [],
        );
        show(userTurn(textOf(m), images));
      } else if (m.role === Role.ASSISTANT && textOf(m) !== "") {
        const turn = new AssistantTurn();
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

// ---- sending a message and streaming the answer ----

function renderPending() {
  ui.attachments.replaceChildren();
  pending.forEach((a, i) => {
    const chip = el("span", "chip", `${a.name} · ${formatBytes(a.size)} `);
    const remove = el("button", "chip-remove", "×");
    remove.type = "button";
    remove.setAttribute("aria-label", `Remove ${a.name}`);
    remove.addEventListener("click", () => {
      pending.splice(i, 1);
      renderPending();
    });
    chip.append(remove);
    ui.attachments.append(chip);
  });
}

function handleChunk(turn: AssistantTurn, chunk: ChatCompletionChunk) {
  if (chunk.sessionId && chunk.sessionId !== sessionId) setSession(chunk.sessionId);
  const event = chunk.agentEvent;
  if (event) {
    const status: Record<number, ToolStatus> = {
      [AgentEventKind.TOOL_STARTED]: "running",
      [AgentEventKind.TOOL_PROGRESS]: "running",
      [AgentEventKind.TOOL_FINISHED]: "finished",
      [AgentEventKind.TOOL_FAILED]: "failed",
    };
    turn.tool(event.callId, event.toolName, status[event.kind] ?? "running", event.message);
  }
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

function setRunning(controller: AbortController | undefined) {
  running = controller;
  ui.stop.hidden = controller === undefined;
  ui.send.disabled = controller !== undefined;
}

async function send() {
  const text = ui.prompt.value.trim();
  if (running || (text === "" && pending.length === 0)) return;
  const attachments = pending;
  const parts = [
    ...(text === "" ? [] : [create(ContentPartSchema, { part: { case: "text", value: text } })]),
    ...attachments.map(partOf),
  ];
  const request = create(ChatCompletionRequestSchema, {
    messages: [{ role: Role.USER, parts }],
    model: Number(ui.model.value || 0) as AgentModel,
    toolsets: checkedValues(ui.toolsets) as Toolset[],
    models: checkedValues(ui.providers) as Model[],
    sessionId,
    stream: true,
    preview: true,
  });
  show(userTurn(text, attachments));
  ui.prompt.value = "";
  pending = [];
  renderPending();
  const turn = new AssistantTurn();
  show(turn.root);
  const controller = new AbortController();
  setRunning(controller);
  try {
    for await (const chunk of client.streamChatCompletion(request, { signal: controller.signal })) {
      handleChunk(turn, chunk);
      turn.root.scrollIntoView({ block: "end" });
    }
  } catch (error) {
    const { text: message, quotaExhausted } = describeError(error);
    turn.error(message);
    if (quotaExhausted) ui.quota.dataset.state = "exhausted";
  } finally {
    turn.done();
    setRunning(undefined);
    ui.prompt.focus();
    void refreshQuota();
  }
}

// ---- events ----

$<HTMLFormElement>("settings-form").addEventListener("submit", (e) => e.preventDefault());
ui.composer.addEventListener("submit", (e) => {
  e.preventDefault();
  void send();
});
ui.prompt.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    void send();
  }
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && running) running.abort();
});
ui.stop.addEventListener("click", () => running?.abort());
ui.files.addEventListener("change", async () => {
  for (const file of ui.files.files ?? []) {
    try {
      pending.push(await attach(file, pending, settings));
    } catch (error) {
      show(notice((error as Error).message, "error"));
    }
  }
  ui.files.value = "";
  renderPending();
});
ui.newChat.addEventListener("click", () => {
  running?.abort();
  setSession("");
  ui.transcript.replaceChildren();
  ui.prompt.focus();
});
for (const input of [ui.model, ui.toolsets, ui.providers]) input.addEventListener("change", savePreferences);
ui.protocol.addEventListener("change", () => {
  savePreferences();
  connect();
});
ui.apiKey.addEventListener("change", () => {
  savePreferences();
  void refreshQuota();
});
window.addEventListener("error", (e) => show(notice(`Unexpected error: ${e.message}`, "error")));
window.addEventListener("unhandledrejection", (e) =>
  show(notice(`Unexpected error: ${describeError(e.reason).text}`, "error")),
);

// ---- start ----

const savedProtocol = preferences().protocol;
if (savedProtocol === "grpc-web" || savedProtocol === "connect") ui.protocol.value = savedProtocol;
ui.apiKey.value = remembered.get("api-key") ?? "";
connect();
if (window.matchMedia("(max-width: 720px)").matches) $<HTMLDetailsElement>("settings").open = false;
document.body.dataset.ready = "loading";
void Promise.all([loadModels(), refreshQuota(), restoreSession()]).finally(() => {
  document.body.dataset.ready = "true";
  ui.prompt.focus();
});
