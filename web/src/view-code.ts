import { kindOf } from "./attachments.js";
import { currentSession } from "./session.js";
import { answerSchema, numberOf } from "./settings-panel.js";
import { type RequestSketch, snippet } from "./snippets.js";
import { guestId } from "./transport.js";
import { ui } from "./ui.js";
import { pendingFiles } from "./uploads.js";

// "View code": the request the page would send, as curl, Python and TypeScript.

/** The request the page sent last, shown by "View code" while the composer is empty. */
let lastSent: RequestSketch | undefined;

/** Keeps what the composer holds now as the request just sent (called as it is sent). */
export function rememberSent() {
  lastSent = sketch();
}

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
  const pending = pendingFiles();
  const sessionId = currentSession();
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
  const composing = ui.prompt.value.trim() !== "" || pendingFiles().length > 0;
  const shown = composing || !lastSent ? sketch() : { ...lastSent, caller: sketchCaller() };
  ui.codeSnippet.textContent = snippet(lang, shown, window.location.origin);
  for (const tab of ui.codeDialog.querySelectorAll<HTMLButtonElement>("[data-lang]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.lang === lang));
  }
}

/** The "View code" button and the dialog's language tabs. */
export function wireViewCode() {
  ui.viewCode.addEventListener("click", () => {
    showSnippet("curl");
    ui.codeDialog.showModal();
  });
  for (const tab of ui.codeDialog.querySelectorAll<HTMLButtonElement>("[data-lang]")) {
    tab.addEventListener("click", () => showSnippet(tab.dataset.lang as "curl" | "python" | "typescript"));
  }
}
