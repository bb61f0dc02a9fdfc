import { create, type JsonObject } from "@bufbuild/protobuf";
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
  ResponseFormatType,
  Role,
  type Toolset,
} from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { wireNames } from "../../src/wire/names.js";
import { type Attachment, attach, formatBytes, kindOf, partOf } from "./attachments.js";
import { type AgentClient, agentClient, type Protocol } from "./client.js";
import { describeError } from "./errors.js";
import { EXAMPLES } from "./examples.js";
import { browserId, readServerSettings, remembered } from "./settings.js";
import { type RequestSketch, snippet } from "./snippets.js";
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
  empty: $<HTMLDivElement>("empty"),
  systemPrompt: $<HTMLTextAreaElement>("system-prompt"),
  temperature: $<HTMLInputElement>("temperature"),
  maxTokens: $<HTMLInputElement>("max-tokens"),
  schema: $<HTMLTextAreaElement>("schema"),
  schemaError: $<HTMLParagraphElement>("schema-error"),
  viewCode: $<HTMLButtonElement>("view-code"),
  codeDialog: $<HTMLDialogElement>("code-dialog"),
  codeSnippet: $<HTMLElement>("code-snippet"),
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
  ui.empty.hidden = true;
  node.scrollIntoView({ block: "end" });
}

/** The empty state (example prompts) shows exactly when the conversation has nothing in it. */
function showEmptyState() {
  ui.empty.hidden = ui.transcript.childElementCount > 0;
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
    for (const p of providers.filter((p) => p.available)) checkbox(ui.providers, String(p.model), p.id);
    // Providers this server is not set up for: one line, with how to enable them, unfolded on demand.
    const missing = providers.filter((p) => !p.available);
    if (missing.length > 0) {
      const details = el("details", "unconfigured");
      details.append(
        el(
          "summary",
          undefined,
          `${missing.length} more not configured: set ORION_MODEL_<NAME>_URL (see docs/providers.md)`,
        ),
      );
      const list = el("div", "checks");
      for (const p of missing) {
        checkbox(
          list,
          String(p.model),
          `${p.id} (not configured)`,
          p.unavailableReason || `set ${p.setting}`,
        );
      }
      details.append(list);
      ui.providers.append(details);
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

const TOOL_STATUS: Record<number, ToolStatus> = {
  [AgentEventKind.TOOL_STARTED]: "running",
  [AgentEventKind.TOOL_PROGRESS]: "running",
  [AgentEventKind.TOOL_FINISHED]: "finished",
  [AgentEventKind.TOOL_FAILED]: "failed",
};

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

// ---- sending a message and streaming the answer ----

function renderPending() {
  ui.attachments.replaceChildren();
  pending.forEach((a, i) => {
    const chip = el("span", "chip");
    if (a.type.startsWith("image/")) {
      const thumb = el("img", "chip-thumb");
      thumb.src = a.dataUrl;
      thumb.alt = "";
      chip.append(thumb);
    }
    chip.append(document.createTextNode(`${a.name} · ${formatBytes(a.size)} `));
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

function setRunning(controller: AbortController | undefined) {
  running = controller;
  ui.stop.hidden = controller === undefined;
  ui.send.disabled = controller !== undefined;
}

/** The schema typed into the settings, parsed; undefined when empty; an error shown when it is not JSON. */
function answerSchema(): JsonObject | undefined | Error {
  const raw = ui.schema.value.trim();
  ui.schemaError.hidden = true;
  if (raw === "") return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new Error("a schema is a JSON object");
    return parsed as JsonObject;
  } catch (error) {
    ui.schemaError.textContent = `The answer schema is not valid: ${(error as Error).message}`;
    ui.schemaError.hidden = false;
    return error as Error;
  }
}

const numberOf = (input: HTMLInputElement) => (input.value.trim() === "" ? undefined : Number(input.value));

async function send() {
  const text = ui.prompt.value.trim();
  if (running || (text === "" && pending.length === 0)) return;
  const schema = answerSchema();
  if (schema instanceof Error) return;
  const attachments = pending;
  const parts = [
    ...(text === "" ? [] : [create(ContentPartSchema, { part: { case: "text", value: text } })]),
    ...attachments.map(partOf),
  ];
  const system = ui.systemPrompt.value.trim();
  const temperature = numberOf(ui.temperature);
  const maxTokens = numberOf(ui.maxTokens);
  const request = create(ChatCompletionRequestSchema, {
    messages: [...(system ? [{ role: Role.SYSTEM, content: system }] : []), { role: Role.USER, parts }],
    model: Number(ui.model.value || 0) as AgentModel,
    toolsets: checkedValues(ui.toolsets) as Toolset[],
    models: checkedValues(ui.providers) as Model[],
    sessionId,
    stream: true,
    preview: true,
    ...(temperature !== undefined ? { temperature } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(schema
      ? { responseFormat: { type: ResponseFormatType.JSON_SCHEMA, jsonSchema: { name: "answer", schema } } }
      : {}),
  });
  lastSent = sketch();
  show(userTurn(text, attachments));
  ui.prompt.value = "";
  pending = [];
  renderPending();
  const turn = new AssistantTurn(undefined, schema !== undefined);
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
/** Files from the picker, a paste or a drop: each checked against the server's caps first. */
async function addFiles(files: Iterable<File>) {
  for (const file of files) {
    try {
      pending.push(await attach(file, pending, settings, ui.apiKey.value.trim() || undefined));
    } catch (error) {
      show(notice((error as Error).message, "error"));
    }
  }
  renderPending();
}
ui.files.addEventListener("change", async () => {
  await addFiles(ui.files.files ?? []);
  ui.files.value = "";
});
ui.prompt.addEventListener("paste", (e) => {
  const files = [...(e.clipboardData?.files ?? [])];
  if (files.length === 0) return;
  e.preventDefault();
  void addFiles(files);
});
ui.composer.addEventListener("dragover", (e) => {
  e.preventDefault();
  ui.composer.classList.add("dropping");
});
ui.composer.addEventListener("dragleave", () => ui.composer.classList.remove("dropping"));
ui.composer.addEventListener("drop", (e) => {
  e.preventDefault();
  ui.composer.classList.remove("dropping");
  void addFiles(e.dataTransfer?.files ?? []);
});

// ---- example prompts (empty state) ----

for (const button of ui.empty.querySelectorAll<HTMLButtonElement>("[data-example]")) {
  button.addEventListener("click", async () => {
    const example = EXAMPLES[button.dataset.example ?? ""];
    if (!example || running) return;
    for (const input of ui.toolsets.querySelectorAll<HTMLInputElement>("input")) {
      input.checked = input.parentElement?.textContent?.trim() === example.toolset;
    }
    pending = [];
    await addFiles(await example.files());
    ui.prompt.value = example.prompt;
    await send();
  });
}

// ---- "View code": the request the page would send, as curl, Python and TypeScript ----

/** The request the page sent last, shown by "View code" while the composer is empty. */
let lastSent: RequestSketch | undefined;

/** The caller the page's requests name: the pasted API key, else this browser's guest id. */
function sketchCaller(): RequestSketch["caller"] {
  return ui.apiKey.value.trim() === "" ? { kind: "guest", browserId: guestId } : { kind: "key" };
}

/** What the composer would send now. */
function sketch(): RequestSketch {
  const schema = answerSchema();
  const wire = (container: HTMLElement) =>
    [...container.querySelectorAll<HTMLInputElement>("input:checked")].map(
      (i) => i.parentElement?.textContent?.trim() ?? "",
    );
  const temperature = numberOf(ui.temperature);
  const maxTokens = numberOf(ui.maxTokens);
  return {
    model: ui.model.selectedOptions[0]?.textContent ?? "vlmrun-orion-1:auto",
    system: ui.systemPrompt.value.trim(),
    prompt: ui.prompt.value.trim() || (pending.length > 0 ? "" : "Describe this image"),
    files: pending.map((a) => ({
      name: a.name,
      type: a.type,
      kind: kindOf(a.type),
      ...(a.fileId ? { fileId: a.fileId } : {}),
    })),
    caller: sketchCaller(),
    toolsets: wire(ui.toolsets),
    providers: wire(ui.providers),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(schema && !(schema instanceof Error) ? { schema } : {}),
    ...(sessionId ? { sessionId } : {}),
  };
}

function showSnippet(lang: "curl" | "python" | "typescript") {
  // What is being composed, else the request just sent (with the caller as it is now).
  const composing = ui.prompt.value.trim() !== "" || pending.length > 0;
  const shown = composing || !lastSent ? sketch() : { ...lastSent, caller: sketchCaller() };
  ui.codeSnippet.textContent = snippet(lang, shown, window.location.origin);
  for (const tab of ui.codeDialog.querySelectorAll<HTMLButtonElement>("[data-lang]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.lang === lang));
  }
}
ui.viewCode.addEventListener("click", () => {
  showSnippet("curl");
  ui.codeDialog.showModal();
});
for (const tab of ui.codeDialog.querySelectorAll<HTMLButtonElement>("[data-lang]")) {
  tab.addEventListener("click", () => showSnippet(tab.dataset.lang as "curl" | "python" | "typescript"));
}
ui.newChat.addEventListener("click", () => {
  running?.abort();
  setSession("");
  ui.transcript.replaceChildren();
  showEmptyState();
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
  showEmptyState();
  document.body.dataset.ready = "true";
  ui.prompt.focus();
});
