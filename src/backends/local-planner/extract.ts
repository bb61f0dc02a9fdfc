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

/** The lines of every text the tools read (OCR lines with boxes, PDF text layers by page). */
export function documentLines(outputs: ToolOutput[]): TextLine[] {
  const lines: TextLine[] = [];
  for (const output of outputs) {
    const result = output.result as Record<string, JsonValue> | undefined;
    if (!result || typeof result !== "object") continue;
    if (Array.isArray(result.lines)) {
      for (const line of result.lines as {
        text: string;
        xywh: number[];
        words?: { text: string; xywh: number[] }[];
      }[]) {
        lines.push({
          text: line.text.trim(),
          page: Number(result.page ?? 1),
          box: line.xywh,
          words: (line.words ?? []).map((w) => ({ text: w.text, box: w.xywh })),
        });
      }
    } else if (Array.isArray(result.by_page)) {
      for (const page of result.by_page as { page: number; text: string }[]) {
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

/** Where a label starts a field in a line: the text after it, with separators stripped. */
function afterLabel(line: string, label: string): string | undefined {
  const words = label.split(" ").map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?:^|[^\\p{L}\\p{N}])${words.join("[\\s.:#\\-]*")}(?![\\p{L}\\p{N}])`, "iu");
  const at = pattern.exec(line);
  if (!at) return undefined;
  return line
    .slice(at.index + at[0].length)
    .replace(/^[\s:#.\-–—=]+/, "")
    .trim();
}

/** The line below `line`: the nearest one under it that overlaps it across (or simply the next). */
function below(lines: TextLine[], index: number): TextLine | undefined {
  const line = lines[index] as TextLine;
  if (!line.box) return lines[index + 1];
  const [x, y, w, h] = line.box as [number, number, number, number];
  let best: TextLine | undefined;
  for (const other of lines) {
    if (other === line || !other.box || other.page !== line.page) continue;
    const [ox, oy, ow] = other.box as [number, number, number];
    if (oy <= y + h * 0.5 || oy > y + h * 4) continue;
    if (ox > x + w || ox + ow < x) continue;
    if (!best || oy < (best.box?.[1] ?? 1)) best = other;
  }
  return best;
}

/** Text candidates for a property: right of its label on the same line, else the line below. */
function candidates(lines: TextLine[], labels: string[]): { text: string; line: TextLine }[] {
  const found: { text: string; line: TextLine }[] = [];
  for (const label of labels) {
    for (const [i, line] of lines.entries()) {
      const rest = afterLabel(line.text, label);
      if (rest === undefined) continue;
      // A second field may follow on the same line (two columns): the value ends where it starts.
      const value = rest.split(/\s{2,}|\s+(?=\p{Lu}[\p{L}.#]*(?:\s[\p{L}.#]+){0,2}:\s*\S)/u)[0]?.trim() ?? "";
      if (value !== "") found.push({ text: value, line });
      const next = below(lines, i);
      if (next) found.push({ text: next.text, line: next });
    }
    if (found.length > 0) return found;
  }
  return found;
}

const NUMBER = /[-+]?(?:[$€£¥]\s?)?\d[\d.,' ]*\d|[-+]?(?:[$€£¥]\s?)?\d/;

/** "1,234.50", "1.234,50", "$ 1 234", "12" → a number; the last separator with 1–2 digits after is decimal. */
export function parseNumber(text: string): number | undefined {
  const match = NUMBER.exec(text.replace(/(\d)\s(?=\d{3}\b)/g, "$1"));
  if (!match) return undefined;
  let digits = match[0].replace(/[^\d.,+-]/g, "");
  const lastDot = digits.lastIndexOf(".");
  const lastComma = digits.lastIndexOf(",");
  const decimalAt = Math.max(lastDot, lastComma);
  const decimals = decimalAt === -1 ? 0 : digits.length - decimalAt - 1;
  if (decimalAt !== -1 && decimals > 0 && decimals <= 2) {
    digits = `${digits.slice(0, decimalAt).replace(/[.,]/g, "")}.${digits.slice(decimalAt + 1)}`;
  } else {
    digits = digits.replace(/[.,]/g, "");
  }
  const value = Number(digits);
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

/** Splits a table row into cells: by the header's column positions (OCR boxes), else by wide gaps. */
function cells(line: TextLine, columns: number[] | undefined): string[] {
  if (columns && line.words && line.words.length > 0) {
    const out = columns.map(() => [] as string[]);
    for (const word of line.words) {
      const x = (word.box[0] ?? 0) + (word.box[2] ?? 0) / 2;
      let nearest = 0;
      for (let c = 1; c < columns.length; c++)
        if (Math.abs((columns[c] as number) - x) < Math.abs((columns[nearest] as number) - x)) nearest = c;
      out[nearest]?.push(word.text);
    }
    return out.map((c) => c.join(" "));
  }
  return line.text.split(/\s{2,}|\t|\s\|\s/).map((c) => c.trim());
}

/** Rows of a table whose header names the item's properties, as objects of those properties. */
function table(lines: TextLine[], item: Spec): { rows: JsonObject[]; header: TextLine } | undefined {
  const properties = Object.entries(item.properties ?? {});
  for (const [h, header] of lines.entries()) {
    const headerCells = cells(header, undefined);
    const headerWords = header.words?.length ? header.words : undefined;
    // Which property each header cell names.
    const byCell: (string | undefined)[] = [];
    let matched = 0;
    const cellTexts = headerWords ? headerWords.map((w) => w.text) : headerCells;
    for (const text of cellTexts) {
      const found = properties.find(([name, spec]) =>
        labelsFor(name, spec).some((l) => norm(text) === l || norm(text).startsWith(`${l} `)),
      );
      byCell.push(found?.[0]);
      if (found) matched++;
    }
    if (matched < 2) continue;
    const columns = headerWords?.map((w) => (w.box[0] ?? 0) + (w.box[2] ?? 0) / 2);
    const rows: JsonObject[] = [];
    for (const line of lines.slice(h + 1)) {
      if (/\b(sub ?total|total|tax|vat|amount due|balance)\b/i.test(line.text) && rows.length > 0) break;
      const values = cells(line, columns);
      if (values.length < 2) break;
      const row: JsonObject = {};
      for (const [c, name] of byCell.entries()) {
        if (!name) continue;
        const spec = item.properties?.[name] as Spec;
        const value = coerce(values[c] ?? "", spec, name);
        if (value !== undefined) row[name] = value;
      }
      if (Object.keys(row).length < Math.min(2, matched)) break;
      rows.push(row);
    }
    if (rows.length > 0) return { rows, header };
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
  for (const [name, property] of Object.entries(spec.properties ?? {})) {
    const labels = labelsFor(name, property);
    let found: JsonValue | undefined;
    let source: TextLine | undefined;
    if (property.type === "array" && property.items?.type === "object") {
      const rows = table(lines, property.items);
      if (rows) [found, source] = [rows.rows, rows.header];
    } else {
      for (const candidate of candidates(lines, labels)) {
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
