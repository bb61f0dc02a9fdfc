import { type Attachment, attach, formatBytes } from "./attachments.js";
import { show } from "./chat-view.js";
import { readServerSettings } from "./settings.js";
import { el, notice } from "./transcript.js";
import { ui } from "./ui.js";

// The files waiting to go with the next message: picked, pasted or dropped, each checked against
// the server's caps first, shown as chips that can be removed.

const settings = readServerSettings();
let pending: Attachment[] = [];

/** The files waiting to be sent. */
export const pendingFiles = (): readonly Attachment[] => pending;

/** Hands the waiting files over (to the message being sent) and empties the list. */
export function takePending(): Attachment[] {
  const taken = pending;
  pending = [];
  renderPending();
  return taken;
}

/** Drops the waiting files without sending them. */
export function clearPending() {
  pending = [];
}

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

/** Files from the picker, a paste or a drop: each checked against the server's caps first. */
export async function addFiles(files: Iterable<File>) {
  for (const file of files) {
    try {
      pending.push(await attach(file, pending, settings, ui.apiKey.value.trim() || undefined));
    } catch (error) {
      show(notice((error as Error).message, "error"));
    }
  }
  renderPending();
}

/** The file picker, pasting into the prompt and dropping on the composer. */
export function wireUploads() {
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
}
