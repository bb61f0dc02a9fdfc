import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { ToolOutput } from "./build-object.js";

/** One line of a document's text, with its box on the page when the reader knew it (OCR). */
export interface TextLine {
  text: string;
  page: number;
  /** Normalised [x, y, w, h] from the top-left. */
  box?: number[];
  words?: { text: string; box: number[] }[];
}

/** A property that could not be found, and the labels that were looked for. */
export interface Missing {
  name: string;
  searched: string[];
}

export interface Extraction {
  value: JsonObject;
  missing: Missing[];
  /** Where each value was read: property → {page, line, box when known}. */
  provenance: JsonObject;
}

type Spec = JsonObject & {
  type?: string;
  properties?: Record<string, Spec>;
  items?: Spec;
  required?: string[];
};

/** A line as OCR and pdf_text's layout give it. */
type BoxedLine = { text: string; xywh: number[]; words?: { text: string; xywh: number[] }[] };

const boxed = (line: BoxedLine, page: number): TextLine => ({
  text: line.text.trim(),
  page,
  box: line.xywh,
  words: (line.words ?? []).map((w) => ({ text: w.text, box: w.xywh })),
});

/** The lines of every text the tools read (OCR lines with boxes, PDF text layers by page). */
export function documentLines(outputs: ToolOutput[]): TextLine[] {
  const lines: TextLine[] = [];
  for (const output of outputs) {
    const result = output.result as Record<string, JsonValue> | undefined;
    if (!result || typeof result !== "object") continue;
    if (Array.isArray(result.lines)) {
      for (const line of result.lines as BoxedLine[]) lines.push(boxed(line, Number(result.page ?? 1)));
    } else if (Array.isArray(result.by_page)) {
      for (const page of result.by_page as { page: number; text: string; lines?: BoxedLine[] }[]) {
        if (page.lines) lines.push(...page.lines.map((line) => boxed(line, page.page)));
        else
          for (const text of page.text.split("\n"))
            if (text.trim()) lines.push({ text: text.trim(), page: page.page });
      }
    }
  }
  return lines.filter((l) => l.text !== "");
}

/** Other ways documents label a field, by the words of its name. */
const SYNONYMS: Record<string, string[]> = {
  invoice_number: ["invoice number", "invoice no", "invoice #", "inv number", "inv no", "invoice id"],
  number: ["number", "no", "#"],
  date: ["date", "invoice date", "issued", "issue date", "dated"],
  invoice_date: ["invoice date", "date of issue", "issue date", "issued", "date"],
  due_date: ["due date", "payment due", "due"],
  total: ["grand total", "total due", "amount due", "balance due", "total amount", "total"],
  subtotal: ["subtotal", "sub total", "net amount"],
  tax: ["tax", "vat", "sales tax", "gst"],
  vendor: ["vendor", "seller", "supplier", "from", "bill from", "company", "issued by"],
  customer: ["customer", "bill to", "billed to", "client", "sold to"],
  currency: ["currency"],
  description: ["description", "item", "details", "product"],
  quantity: ["quantity", "qty", "units"],
  unit_price: ["unit price", "price", "rate", "unit cost"],
  amount: ["amount", "line total", "total"],
};

const norm = (s: string) =>
  s
    .toLowerCase()
    .replace(/[._]/g, " ")
    .replace(/[^\p{L}\p{N}#%$€£ ]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();

/** The labels a property may appear under, most specific (longest) first. */
export function labelsFor(name: string, spec: Spec): string[] {
  const words = name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
  const labels = new Set<string>([norm(words)]);
  for (const extra of SYNONYMS[words] ?? []) labels.add(norm(extra));
  const last = words.split("_").at(-1) ?? "";
  if (words.includes("_"))
    for (const extra of SYNONYMS[last] ?? []) labels.add(norm(`${words.split("_")[0]} ${extra}`));
  if (typeof spec.title === "string") labels.add(norm(spec.title));
  if (typeof spec.description === "string" && spec.description.length <= 40)
    labels.add(norm(spec.description));
  return [...labels].filter(Boolean).sort((a, b) => b.length - a.length);
}

/** Where a label starts a cell: the text after it, with separators stripped. */
function afterLabel(text: string, label: string): string | undefined {
  const words = label.split(" ").map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`^[^\\p{L}\\p{N}]*${words.join("[\\s.:#\\-]*")}(?![\\p{L}\\p{N}])`, "iu");
  const at = pattern.exec(text);
  if (!at) return undefined;
  return text
    .slice(at[0].length)
    .replace(/^[\s:#.\-–—=…|]+/, "")
    .trim();
}

/**
 * A run of words set apart on its line by a wide gap: a label, a value or a table cell. `x0`–`x1`
 * is its extent across and `y` its middle (corrected for the page's skew), `h` its line's height;
 * text without boxes has ordinal columns instead (x0 = the cell's index on its line).
 */
interface Cell {
  text: string;
  page: number;
  x0: number;
  x1: number;
  y: number;
  h: number;
  line: TextLine;
}
/** Cells on one baseline, left to right. */
type Row = Cell[];

/**
 * A gap between words wider than this many character widths separates cells: a space with a
 * colon is narrower, three monospace spaces are wider. (Character widths, not line heights: the
 * boxes are shares of the page's width and height, whose ratio the reader does not give.)
 */
const CELL_GAP = 2.5;
/** Dot leaders, rules and table borders as OCR reads them: separators, never text. */
const LEADER = /^[.·…_|\-–—]{2,}$|^[|[\]]$/;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const middle = (box: number[]) => (box[1] ?? 0) + (box[3] ?? 0) / 2;

/** The page's slope (dy/dx of its baselines), from lines with words far apart: a rotated scan's tilt. */
function skewOf(lines: TextLine[]): number {
  const slopes: number[] = [];
  for (const line of lines) {
    const words = line.words ?? [];
    const first = words[0]?.box;
    const last = words.at(-1)?.box;
    if (!first || !last || words.length < 2) continue;
    const dx = (last[0] ?? 0) + (last[2] ?? 0) / 2 - (first[0] ?? 0) - (first[2] ?? 0) / 2;
    if (dx > 0.15) slopes.push((middle(last) - middle(first)) / dx);
  }
  return slopes.length > 0 ? median(slopes) : 0;
}

/** A boxed line's cells: its words split at wide gaps and at leaders, placed on the deskewed page. */
function wordCells(line: TextLine, skew: number): Cell[] {
  const words = [...(line.words ?? [])].sort((a, b) => (a.box[0] ?? 0) - (b.box[0] ?? 0));
  const h = median(words.map((w) => w.box[3] ?? 0)) || (line.box?.[3] ?? 0);
  const charWidth = median(words.map((w) => (w.box[2] ?? 0) / Math.max(1, w.text.length)));
  const cells: Cell[] = [];
  let run: typeof words = [];
  const flush = () => {
    if (run.length === 0) return;
    const x0 = run[0]?.box[0] ?? 0;
    const last = run.at(-1)?.box ?? [];
    const x1 = (last[0] ?? 0) + (last[2] ?? 0);
    const y = run.reduce((n, w) => n + middle(w.box), 0) / run.length - (skew * (x0 + x1)) / 2;
    cells.push({ text: run.map((w) => w.text).join(" "), page: line.page, x0, x1, y, h, line });
    run = [];
  };
  for (const word of words) {
    const text = word.text.replace(/^[|[\]]+|[|[\]]+$/g, "");
    const previous = run.at(-1)?.box;
    if (previous && (word.box[0] ?? 0) - (previous[0] ?? 0) - (previous[2] ?? 0) > CELL_GAP * charWidth)
      flush();
    // OCR reads dot leaders as a long low "word" of letters (".....", "cerrnseeee").
    const low = (word.box[3] ?? 0) < 0.6 * h && text.length >= 4;
    if (text === "" || LEADER.test(text) || low) flush();
    else run.push({ ...word, text });
  }
  flush();
  return cells;
}

/** A line without boxes (a PDF text layer read as text, a plain file): cells between wide gaps. */
function textCells(line: TextLine, index: number): Cell[] {
  return line.text
    .split(/\s{2,}|\t|\s\|\s|\s*[.·…]{3,}\s*/)
    .map((text) => text.trim())
    .filter((text) => text !== "")
    .map((text, c) => ({ text, page: line.page, x0: c, x1: c + 1, y: index, h: 1 / 3, line }));
}

/** The document's rows of cells, page by page and top to bottom. */
export function rowsOf(lines: TextLine[]): Row[] {
  const rows: Row[] = [];
  for (const page of [...new Set(lines.map((l) => l.page))].sort((a, b) => a - b)) {
    const onPage = lines.filter((l) => l.page === page);
    const skew = skewOf(onPage);
    const cells = onPage
      .flatMap((line, i) => (line.words?.length ? wordCells(line, skew) : textCells(line, i)))
      .sort((a, b) => a.y - b.y);
    let row: Row = [];
    for (const cell of cells) {
      const y = row.reduce((n, c) => n + c.y, 0) / row.length;
      if (row.length > 0 && Math.abs(cell.y - y) > 0.5 * Math.max(cell.h, ...row.map((c) => c.h))) {
        rows.push(row.sort((a, b) => a.x0 - b.x0));
        row = [];
      }
      row.push(cell);
    }
    if (row.length > 0) rows.push(row.sort((a, b) => a.x0 - b.x0));
  }
  return rows;
}

const overlap = (a: Cell, b: Cell) => Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));

/** Whether a cell reads as a label rather than a value: a known label alone, or text ending in a colon. */
function labelLike(cell: Cell, known: Set<string>): boolean {
  return /:$/.test(cell.text) || known.has(norm(cell.text));
}

/** The labels of every property of a schema, nested ones too, and the usual field names. */
function knownLabels(spec: Spec): Set<string> {
  const known = new Set(Object.values(SYNONYMS).flat().map(norm));
  const walk = (s: Spec) => {
    for (const [name, property] of Object.entries(s.properties ?? {})) {
      for (const label of labelsFor(name, property)) known.add(label);
      walk(property);
      if (property.items) walk(property.items);
    }
  };
  walk(spec);
  // "No" and "#" are values too (Paid: No).
  return new Set([...known].filter((label) => label.length > 2));
}

/** The value on a label's baseline to its right: the next cell, unless that is a label itself. */
function rightOf(row: Row, label: Cell, known: Set<string>): Cell | undefined {
  // A header row (two or more bare labels) has its values below, not beside.
  if (row.filter((c) => labelLike(c, known) || known.has(norm(c.text.replace(/:$/, "")))).length >= 2)
    return undefined;
  const next = row[row.indexOf(label) + 1];
  return next && !labelLike(next, known) ? next : undefined;
}

/**
 * The value under a label: in the nearest row below that reaches into the label's column, the
 * cell overlapping it, unless that cell overlaps another cell of the label's row more (it is in
 * that label's column) or is a label itself.
 */
function below(rows: Row[], at: number, label: Cell, known: Set<string>): Cell | undefined {
  const row = rows[at] as Row;
  for (const next of rows.slice(at + 1)) {
    const first = next[0] as Cell;
    if (first.page !== label.page || first.y - label.y > 5 * Math.max(label.h, first.h)) return undefined;
    const under = next
      .filter((c) => overlap(c, label) > 0)
      .sort((a, b) => overlap(b, label) - overlap(a, label))[0];
    if (!under) continue;
    const owner = row.reduce((best, c) => (overlap(under, c) > overlap(under, best) ? c : best), label);
    return owner === label && !labelLike(under, known) ? under : undefined;
  }
  return undefined;
}

/** Text candidates for a property: after its label in the cell, right of it, else below it. */
function candidates(rows: Row[], labels: string[], known: Set<string>): { text: string; line: TextLine }[] {
  const found: { text: string; line: TextLine }[] = [];
  for (const label of labels) {
    for (const [r, row] of rows.entries()) {
      for (const cell of row) {
        const rest = afterLabel(cell.text, label);
        if (rest === undefined) continue;
        if (rest !== "") found.push({ text: rest, line: cell.line });
        for (const value of [rightOf(row, cell, known), below(rows, r, cell, known)])
          if (value) found.push({ text: value.text, line: value.line });
      }
    }
    if (found.length > 0) return found;
  }
  return found;
}

const NUMBER = /[-+]?(?:[$€£¥]\s?)?\d[\d.,' ]*\d|[-+]?(?:[$€£¥]\s?)?\d/;

/** "1,234.50", "1.234,50", "$ 1 234", "(12)", "12" → a number; the last separator with 1–2 digits after is decimal. */
export function parseNumber(text: string): number | undefined {
  const match = NUMBER.exec(text.replace(/(\d)\s(?=\d{3}\b)/g, "$1"));
  if (!match) return undefined;
  // Accounting negatives: "(1,234.56)".
  const bracketed = text[match.index - 1] === "(" && text[match.index + match[0].length] === ")";
  // A last group of two digits after a space is cents whose point OCR lost ("1 239 90"):
  // thousands come in threes.
  const cents = /^[^.,]*\d\s\d{2}$/.test(match[0].trim())
    ? match[0].trim().replace(/\s(\d{2})$/, ".$1")
    : match[0];
  let digits = cents.replace(/[^\d.,+-]/g, "");
  const lastDot = digits.lastIndexOf(".");
  const lastComma = digits.lastIndexOf(",");
  const decimalAt = Math.max(lastDot, lastComma);
  const decimals = decimalAt === -1 ? 0 : digits.length - decimalAt - 1;
  if (decimalAt !== -1 && decimals > 0 && decimals <= 2) {
    digits = `${digits.slice(0, decimalAt).replace(/[.,]/g, "")}.${digits.slice(decimalAt + 1)}`;
  } else {
    digits = digits.replace(/[.,]/g, "");
  }
  const value = Number(digits) * (bracketed ? -1 : 1);
  return Number.isFinite(value) ? value : undefined;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** A date in any common form → YYYY-MM-DD (day-first for d/m/y unless the day part is over 12). */
export function parseDate(text: string): string | undefined {
  const iso = /(\d{4})-(\d{1,2})-(\d{1,2})/.exec(text);
  const iso2 = (y: number, m: number, d: number) =>
    m >= 1 && m <= 12 && d >= 1 && d <= 31
      ? `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`
      : undefined;
  if (iso) return iso2(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const named =
    /(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})|([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})/.exec(
      text,
    );
  if (named) {
    const month = MONTHS.indexOf((named[2] ?? named[4] ?? "").slice(0, 3).toLowerCase()) + 1;
    const day = Number(named[1] ?? named[5]);
    if (month > 0) return iso2(Number(named[3] ?? named[6]), month, day);
  }
  const numeric = /(\d{1,2})[/.](\d{1,2})[/.](\d{4})/.exec(text);
  if (numeric) {
    const a = Number(numeric[1]);
    const b = Number(numeric[2]);
    // Slashes are US month-first unless that cannot be; dots are day-first.
    const monthFirst = text.includes("/") ? a <= 12 : b > 12;
    return monthFirst ? iso2(Number(numeric[3]), a, b) : iso2(Number(numeric[3]), b, a);
  }
  return undefined;
}

function similarity(a: string, b: string): number {
  const x = norm(a);
  const y = norm(b);
  if (x === y) return 1;
  if (x.includes(y) || y.includes(x)) return 0.8;
  const common = [...new Set(x.split(" "))].filter((w) => y.split(" ").includes(w)).length;
  // One misread character in a short code (OCR's "uso" for USD) still names it.
  if (common === 0 && x.length === y.length && x.length >= 3)
    return [...x].filter((c, i) => c !== y[i]).length === 1 ? 0.5 : 0;
  return common / Math.max(x.split(" ").length, y.split(" ").length);
}

/** A candidate text as the value the schema asks for, or undefined when it is not one. */
export function coerce(text: string, spec: Spec, name: string): JsonValue | undefined {
  const type = Array.isArray(spec.type) ? (spec.type as string[]).find((t) => t !== "null") : spec.type;
  if (Array.isArray(spec.enum)) {
    const options = (spec.enum as JsonValue[]).filter((o): o is string => typeof o === "string");
    const best = options.map((o) => ({ o, score: similarity(o, text) })).sort((p, q) => q.score - p.score)[0];
    return best && best.score > 0 ? best.o : undefined;
  }
  if (type === "number" || type === "integer") {
    const value = parseNumber(text);
    if (value === undefined) return undefined;
    return type === "integer" ? (Number.isInteger(value) ? value : undefined) : value;
  }
  if (type === "boolean") {
    if (/^(yes|true|y|x|✓|✔|☑|checked|paid)\b/i.test(text.trim())) return true;
    if (/^(no|false|n|☐|unchecked|unpaid)\b/i.test(text.trim())) return false;
    return undefined;
  }
  if (spec.format === "date" || (type === "string" && /date|_on$|issued/.test(name))) {
    return parseDate(text) ?? (spec.format === "date" ? undefined : text);
  }
  if (type === "string" || type === undefined) {
    const first = text.split(/\s{2,}/)[0]?.trim() ?? "";
    return first === "" ? undefined : first;
  }
  return undefined;
}

/** The header cell a row's cell sits under: the one it overlaps most, else the nearest by centre. */
function columnOf(cell: Cell, header: Row): number {
  const centre = (c: Cell) => (c.x0 + c.x1) / 2;
  let best = 0;
  for (const [i, h] of header.entries()) {
    const current = header[best] as Cell;
    const better =
      overlap(cell, h) > overlap(cell, current) ||
      (overlap(cell, current) === 0 &&
        Math.abs(centre(h) - centre(cell)) < Math.abs(centre(current) - centre(cell)));
    if (better) best = i;
  }
  return best;
}

/** Which property of the item each header cell names (undefined for the others). */
function headerNames(header: Row, item: Spec): (string | undefined)[] {
  const properties = Object.entries(item.properties ?? {});
  return header.map(
    (cell) =>
      properties.find(([name, spec]) =>
        labelsFor(name, spec).some((l) => norm(cell.text) === l || norm(cell.text).startsWith(`${l} `)),
      )?.[0],
  );
}

/** Rows of a table whose header names the item's properties, as objects of those properties. */
function table(rows: Row[], item: Spec): { rows: JsonObject[]; header: TextLine } | undefined {
  for (const [h, header] of rows.entries()) {
    const names = headerNames(header, item);
    const matched = names.filter(Boolean).length;
    if (matched < 2) continue;
    const objects: JsonObject[] = [];
    for (const row of rows.slice(h + 1)) {
      const text = row.map((c) => c.text).join(" ");
      if (row[0]?.page !== header[0]?.page || row.length < 2) break;
      if (/\b(sub ?total|total|tax|vat|amount due|balance)\b/i.test(text) && objects.length > 0) break;
      const values: string[][] = header.map(() => []);
      for (const cell of row) values[columnOf(cell, header)]?.push(cell.text);
      const object: JsonObject = {};
      for (const [c, name] of names.entries()) {
        if (!name) continue;
        const value = coerce(values[c]?.join(" ") ?? "", item.properties?.[name] as Spec, name);
        if (value !== undefined) object[name] = value;
      }
      if (Object.keys(object).length < Math.min(2, matched)) break;
      objects.push(object);
    }
    if (objects.length > 0) return { rows: objects, header: header[0]?.line as TextLine };
  }
  return undefined;
}

/**
 * Fills a JSON Schema's properties from a document's lines: each property is found by its label
 * (its name, title, description and common variants) and its value read to the right of or below
 * the label, then coerced to the schema's type; arrays of objects come from a table whose header
 * names their properties. Nothing is guessed: what is not found is reported as missing.
 */
export function extractToSchema(schema: JsonObject, lines: TextLine[]): Extraction {
  const spec = schema as Spec;
  const value: JsonObject = {};
  const missing: Missing[] = [];
  const provenance: JsonObject = {};
  const from = (line: TextLine): JsonObject => ({
    page: line.page,
    line: line.text,
    ...(line.box ? { box: line.box.map((v) => Math.round(v * 1000) / 1000) } : {}),
  });
  const rows = rowsOf(lines);
  const known = knownLabels(spec);
  for (const [name, property] of Object.entries(spec.properties ?? {})) {
    const labels = labelsFor(name, property);
    let found: JsonValue | undefined;
    let source: TextLine | undefined;
    if (property.type === "array" && property.items?.type === "object") {
      const items = table(rows, property.items);
      if (items) [found, source] = [items.rows, items.header];
    } else {
      for (const candidate of candidates(rows, labels, known)) {
        found = coerce(candidate.text, property, name);
        source = candidate.line;
        if (found !== undefined) break;
      }
      // A seller's name often heads the page with no label at all.
      if (found === undefined && /^(vendor|seller|supplier|company|issuer|merchant)(_name)?$/.test(name)) {
        source = lines.find((l) => !/\d/.test(l.text) && !/invoice|receipt|bill/i.test(l.text));
        if (source) found = coerce(source.text, property, name);
      }
    }
    if (found !== undefined && source) {
      value[name] = found;
      provenance[name] = from(source);
    } else missing.push({ name, searched: labels });
  }
  return { value, missing, provenance };
}
