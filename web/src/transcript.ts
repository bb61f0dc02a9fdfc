import type { Attachment } from "./attachments.js";
import { renderAnswer } from "./markdown.js";

/** One element with optional class and text; every string reaches the page as text, never HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export type ToolStatus = "running" | "finished" | "failed";

/** The assistant's turn as it streams: text, tool events and artifacts, each in its own place. */
export class AssistantTurn {
  readonly root = el("li", "turn assistant");
  private readonly tools = el("ul", "tool-events");
  private readonly text = el("div", "text");
  private readonly files = el("div", "artifacts");
  private readonly toolRows = new Map<string, HTMLLIElement>();
  private content = "";
  private frame = 0;

  /** `json`: the answer was asked for as JSON (response_format), so it is shown pretty-printed. */
  constructor(
    heading?: string,
    private readonly json = false,
  ) {
    if (heading) this.root.append(el("p", "turn-heading", heading));
    this.root.dataset.role = "assistant";
    this.root.setAttribute("aria-busy", "true");
    this.tools.setAttribute("aria-label", "Tool activity");
    this.root.append(this.tools, this.text, this.files);
  }

  /** Streamed text is re-rendered at most once per frame, however many deltas arrive. */
  appendText(delta: string) {
    this.content += delta;
    if (this.frame === 0) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.render();
      });
    }
  }

  setText(text: string) {
    this.content = text;
    this.render();
  }

  private render() {
    renderAnswer(this.text, this.content, this.json);
  }

  get hasText(): boolean {
    return this.content !== "";
  }

  tool(callId: string, name: string, status: ToolStatus, message: string) {
    let row = this.toolRows.get(callId);
    if (!row) {
      row = el("li", "tool-event");
      this.toolRows.set(callId, row);
      this.tools.append(row);
    }
    row.dataset.status = status;
    row.dataset.tool = name;
    const label = status === "running" ? "running" : status;
    row.textContent = `${name} — ${label}${message ? `: ${message}` : ""}`;
  }

  /** An artifact the agent made: pictures inline, everything else as a download. */
  artifact(objectId: string, contentType: string, url: string) {
    const existing = this.files.querySelector<HTMLElement>(`[data-object-id="${CSS.escape(objectId)}"]`);
    if (existing && !existing.classList.contains("preview")) return;
    const figure = el("figure", "artifact");
    figure.dataset.objectId = objectId;
    if (contentType.startsWith("image/")) {
      const img = el("img", "artifact-image");
      img.src = url;
      img.alt = `artifact ${objectId}`;
      figure.append(img);
    } else if (contentType.startsWith("video/")) {
      const video = el("video", "artifact-video");
      video.src = url;
      video.controls = true;
      figure.append(video);
    }
    const link = el("a", "artifact-link", `⬇ ${objectId} · ${contentType}`);
    link.href = url;
    link.download = objectId;
    const caption = el("figcaption");
    caption.append(link);
    figure.append(caption);
    if (existing) existing.replaceWith(figure);
    else this.files.append(figure);
  }

  preview(objectId: string, dataUrl: string) {
    if (this.files.querySelector(`[data-object-id="${CSS.escape(objectId)}"]`)) return;
    const figure = el("figure", "artifact preview");
    figure.dataset.objectId = objectId;
    const img = el("img", "artifact-image");
    img.src = dataUrl;
    img.alt = `preview of ${objectId}`;
    figure.append(img, el("figcaption", undefined, `${objectId} (preview)`));
    this.files.append(figure);
  }

  error(message: string) {
    this.root.append(el("p", "error", message));
  }

  done() {
    if (this.frame !== 0) {
      cancelAnimationFrame(this.frame);
      this.frame = 0;
    }
    if (this.hasText) this.render();
    this.root.removeAttribute("aria-busy");
    if (!this.hasText && this.text.parentElement) this.text.remove();
  }
}

export function userTurn(
  text: string,
  attachments: readonly Pick<Attachment, "name" | "type" | "dataUrl">[],
): HTMLLIElement {
  const li = el("li", "turn user");
  li.dataset.role = "user";
  if (text !== "") li.append(el("div", "text", text));
  for (const a of attachments) {
    if (a.type.startsWith("image/")) {
      const img = el("img", "attachment-image");
      img.src = a.dataUrl;
      img.alt = a.name;
      li.append(img);
    } else {
      li.append(el("p", "attachment-name", `📎 ${a.name}`));
    }
  }
  return li;
}

export function notice(text: string, kind: "error" | "info" = "info"): HTMLLIElement {
  const li = el("li", `turn notice ${kind}`, text);
  li.setAttribute("role", kind === "error" ? "alert" : "status");
  return li;
}
