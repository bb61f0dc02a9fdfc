import DOMPurify from "dompurify";
import { marked } from "marked";

/** Artifact ids as the agent writes them: shown as quiet file chips, not as raw ids in the prose. */
const ARTIFACT_ID = /\b(?:img|vid|aud|doc|obj)_[0-9a-f]{6}\b/g;

// Links leave the page in a new tab without a referrer; pictures may only come from this page
// (blob: and data: URLs): a model cannot make the browser fetch anything.
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
  if (node.tagName === "IMG" && !/^(blob:|data:image\/)/.test(node.getAttribute("src") ?? "")) {
    node.removeAttribute("src");
  }
});

/** Markdown as safe HTML: GitHub-flavoured (tables, fenced code), sanitised, never raw model HTML. */
export function markdownHtml(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true, breaks: false }).trim();
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe"],
    FORBID_ATTR: ["style"],
  });
}

/** Wraps artifact ids found in text (not in code) in a chip the page can style and link. */
function markArtifactIds(root: HTMLElement) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const hits: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement?.closest("code, pre, .artifact-ref")) continue;
    ARTIFACT_ID.lastIndex = 0;
    if (ARTIFACT_ID.test(node.textContent ?? "")) hits.push(node as Text);
  }
  for (const text of hits) {
    const fragment = document.createDocumentFragment();
    let last = 0;
    const value = text.textContent ?? "";
    for (const match of value.matchAll(ARTIFACT_ID)) {
      fragment.append(value.slice(last, match.index));
      const chip = document.createElement("span");
      chip.className = "artifact-ref";
      chip.dataset.objectId = match[0];
      chip.title = `file ${match[0]}`;
      chip.textContent = match[0];
      fragment.append(chip);
      last = (match.index ?? 0) + match[0].length;
    }
    fragment.append(value.slice(last));
    text.replaceWith(fragment);
  }
}

/** A copy button on every code block. */
function addCopyButtons(root: HTMLElement) {
  for (const pre of root.querySelectorAll("pre")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy code");
    button.addEventListener("click", () => {
      void navigator.clipboard
        ?.writeText(pre.querySelector("code")?.textContent ?? pre.textContent ?? "")
        .then(() => {
          button.textContent = "Copied";
          setTimeout(() => (button.textContent = "Copy"), 1500);
        });
    });
    pre.append(button);
  }
}

/** Renders an answer into `target`: JSON answers pretty-printed, everything else as Markdown. */
export function renderAnswer(target: HTMLElement, text: string, asJson: boolean) {
  if (asJson) {
    try {
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      code.className = "json";
      code.textContent = JSON.stringify(JSON.parse(text), null, 2);
      pre.append(code);
      target.replaceChildren(pre);
      addCopyButtons(target);
      return;
    } catch {
      // Not (yet) whole JSON: shown as written until it is.
    }
  }
  target.innerHTML = markdownHtml(text);
  markArtifactIds(target);
  addCopyButtons(target);
}
