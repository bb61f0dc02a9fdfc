// The playground's entry: wires the page's parts together and starts it. Each concern is its own
// module: transport.ts (the client), session.ts (the conversation kept), chat-view.ts (the
// transcript), settings-panel.ts (models, toolsets, providers, preferences), uploads.ts (files
// waiting to be sent), composer.ts (sending and streaming), quota.ts, view-code.ts ("View code").
import { restoreSession, show, showEmptyState } from "./chat-view.js";
import { isRunning, send, stopRunning, wireComposer } from "./composer.js";
import { describeError } from "./errors.js";
import { EXAMPLES } from "./examples.js";
import { refreshQuota } from "./quota.js";
import { setSession } from "./session.js";
import { remembered } from "./settings.js";
import { loadModels, preferences, savePreferences } from "./settings-panel.js";
import { notice } from "./transcript.js";
import { connect } from "./transport.js";
import { $, ui } from "./ui.js";
import { addFiles, clearPending, wireUploads } from "./uploads.js";
import { wireViewCode } from "./view-code.js";
import "./styles.css";

// ---- events ----

$<HTMLFormElement>("settings-form").addEventListener("submit", (e) => e.preventDefault());
wireComposer();
wireUploads();

// ---- example prompts (empty state) ----

for (const button of ui.empty.querySelectorAll<HTMLButtonElement>("[data-example]")) {
  button.addEventListener("click", async () => {
    const example = EXAMPLES[button.dataset.example ?? ""];
    if (!example || isRunning()) return;
    for (const input of ui.toolsets.querySelectorAll<HTMLInputElement>("input")) {
      input.checked = input.parentElement?.textContent?.trim() === example.toolset;
    }
    clearPending();
    await addFiles(await example.files());
    ui.prompt.value = example.prompt;
    await send();
  });
}

wireViewCode();
ui.newChat.addEventListener("click", () => {
  stopRunning();
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
