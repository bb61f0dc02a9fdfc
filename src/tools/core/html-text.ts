const ENTITIES: Record<string, string> = {
  nbsp: " ",
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  "#39": "'",
};

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&([a-z#0-9]+);/gi, (m, name: string) => ENTITIES[name.toLowerCase()] ?? m);
}

/** Every `<!-- … -->` made a space; an unclosed one runs to the end. One pass (indexOf), never a rescan. */
function withoutComments(html: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const open = html.indexOf("<!--", at);
    if (open < 0) return out + html.slice(at);
    out += `${html.slice(at, open)} `;
    const close = html.indexOf("-->", open + 4);
    if (close < 0) return out;
    at = close + 3;
  }
}

const SKIPPED = new Set([
  "script",
  "style",
  "noscript",
  "svg",
  "template",
  "nav",
  "header",
  "footer",
  "aside",
  "form",
]);

/**
 * Each `<name …>…</name>` element for which `pick(name)` holds (where it starts and ends, and
 * what is between its tags), as the lazy regex
 * `<(name)\b[\s\S]*?<\/\1>` would find it, in one left-to-right pass: the closing tag is looked up
 * once per name from where the search stands (a name with none left is never looked for again),
 * so a page of unclosed tags costs time in proportion to its length, not its square.
 */
function* elements(html: string, pick: (name: string) => boolean) {
  const lower = html.toLowerCase();
  const unclosed = new Set<string>();
  const opening = /<([a-z][a-z0-9]*)\b/g;
  for (let match = opening.exec(lower); match; match = opening.exec(lower)) {
    const name = match[1] as string;
    if (!pick(name) || unclosed.has(name)) continue;
    const close = lower.indexOf(`</${name}>`, match.index + name.length + 1);
    if (close < 0) {
      unclosed.add(name);
      continue;
    }
    const end = close + name.length + 3;
    const open = lower.indexOf(">", match.index);
    yield {
      start: match.index,
      end,
      inner: open >= 0 && open < close ? html.slice(open + 1, close) : undefined,
    };
    opening.lastIndex = end;
  }
}

/**
 * Readable text of an HTML page: the <main> or <article> when there is one; never scripts,
 * styles, navigation, headers, footers or asides; block ends become line breaks. Linear in the
 * page's length (a caller's page must not hold the event loop): tags are matched with `[^<>]`, so
 * a scan for a tag's end stops at the next `<`.
 */
export function htmlToText(html: string): string {
  let body = withoutComments(html);
  const [main] = elements(body, (name) => name === "main" || name === "article");
  if (main?.inner !== undefined) body = main.inner;
  let kept = "";
  let at = 0;
  for (const skipped of elements(body, (name) => SKIPPED.has(name))) {
    kept += `${body.slice(at, skipped.start)} `;
    at = skipped.end;
  }
  kept += body.slice(at);
  return decodeEntities(
    kept
      .replace(/<br\s*\/?>|<\/(p|div|li|h[1-6]|tr|section|blockquote|pre|table|ul|ol)>/gi, "\n")
      .replace(/<\/?(b|i|em|strong|span|a|code|small|sub|sup|u|mark|abbr|time)\b[^<>]*>/gi, "")
      .replace(/<[^<>]+>/g, " "),
  )
    .replace(/[ \t\u00a0]+/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

export function htmlTitle(html: string): string | undefined {
  const [title] = elements(html, (name) => name === "title");
  return title?.inner ? decodeEntities(title.inner).replace(/\s+/g, " ").trim() : undefined;
}
