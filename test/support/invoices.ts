import { PDFDocument, type PDFFont, rgb, StandardFonts } from "pdf-lib";
import sharp from "sharp";
import { degrade } from "./documents.js";

/** What a generated invoice says, in the schema's terms (due_date and subtotal only where shown). */
export interface InvoiceTruth {
  invoice_number: string;
  date: string;
  total: number;
  vendor: string;
  paid: boolean;
  currency: "USD" | "EUR" | "GBP";
  items: { description: string; quantity: number; amount: number }[];
  due_date?: string;
  subtotal?: number;
}

export const INVOICE_SCHEMA = {
  type: "object",
  properties: {
    invoice_number: { type: "string" },
    date: { type: "string", format: "date" },
    due_date: { type: "string", format: "date" },
    subtotal: { type: "number" },
    total: { type: "number" },
    vendor: { type: "string" },
    paid: { type: "boolean" },
    currency: { type: "string", enum: ["USD", "EUR", "GBP"] },
    items: {
      type: "array",
      items: {
        type: "object",
        properties: {
          description: { type: "string" },
          quantity: { type: "integer" },
          amount: { type: "number" },
        },
      },
    },
  },
  required: ["invoice_number", "date", "total"],
} as const;

/**
 * How the fields are laid out: label and value on one line ("beside"), value under its label
 * ("stacked"), two fields a line ("two-column"), a header row over a row of values ("grid"),
 * bordered key/value and item cells ("bordered"), right-aligned totals after dot leaders
 * ("leaders"), a colon label alone on its line ("colon-line"), near-twin labels on one page
 * ("twins": Due Date before the invoice's date, Subtotal before Total), the total on page 2 of a PDF
 * ("two-page") and a narrow monospace till receipt ("receipt").
 */
export const LAYOUTS = [
  "beside",
  "stacked",
  "two-column",
  "grid",
  "bordered",
  "leaders",
  "colon-line",
  "twins",
  "two-page",
  "receipt",
] as const;
export type Layout = (typeof LAYOUTS)[number];

/** Layouts an image rendering cannot show (one picture is one page). */
export const PDF_ONLY: readonly Layout[] = ["two-page"];

/** A seeded generator, so the set is the same on every run. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 4_294_967_296;
  };
}

const VENDORS = [
  "Acme Supplies Ltd",
  "Northwind Traders",
  "Globex Corporation",
  "Initech Services",
  "Umbrella Parts",
];
const ITEMS = ["Paper reams", "Ink cartridges", "Desk lamps", "USB cables", "Notebooks", "Staplers"];
export const LABELS = {
  invoice_number: ["Invoice No.", "Invoice #", "Invoice Number", "Inv. Number"],
  date: ["Date", "Invoice Date", "Issued", "Date of issue"],
  total: ["Total", "Amount Due", "Grand Total", "Balance Due"],
  vendor: ["Vendor", "From", "Seller", ""],
};
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** Money as invoices print it; the style also decides the invoice's currency. */
export const MONEY_STYLES = 6;
const CURRENCY_OF_STYLE = ["USD", "EUR", "GBP", "USD", "EUR", "USD"] as const;

export function money(value: number, style: number): string {
  const [whole, cents] = value.toFixed(2).split(".") as [string, string];
  const grouped = (sep: string) => whole.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  if (style === 0) return `$${grouped(",")}.${cents}`;
  if (style === 1) return `${grouped(".")},${cents} EUR`;
  if (style === 2) return `£${grouped(",")}.${cents}`;
  if (style === 3) return `${grouped(" ")}.${cents}`;
  if (style === 4) return `${grouped(" ")},${cents} €`;
  return `USD ${grouped(",")}.${cents}`;
}

export const DATE_STYLES = 5;

export function dateText(iso: string, style: number): string {
  const [y, m, d] = iso.split("-").map(Number) as [number, number, number];
  const two = (n: number) => String(n).padStart(2, "0");
  if (style === 0) return iso;
  if (style === 1) return `${MONTHS[m - 1]} ${d}, ${y}`;
  if (style === 2) return `${two(d)}.${two(m)}.${y}`;
  if (style === 3) return `${d} ${MONTHS[m - 1]?.slice(0, 3)} ${y}`;
  return `${two(m)}/${two(d)}/${y}`;
}

/** A piece of text on a page: `x` in points is its left edge, or its right edge when right-aligned. */
interface Placed {
  text: string;
  x: number;
  row: number;
  right?: boolean;
}
/** A bordered cell: a rectangle from `x` to `x + w` points around one row. */
interface Cell {
  x: number;
  w: number;
  row: number;
}
export interface InvoicePage {
  texts: Placed[];
  cells: Cell[];
}
export interface InvoiceDoc {
  layout: Layout;
  /** Page width in points; rows are `size * 2` points apart. */
  width: number;
  size: number;
  mono: boolean;
  pages: InvoicePage[];
}

/** Writes rows of placed text onto pages: `line(...)` puts cells on the next row. */
function pageWriter() {
  const pages: InvoicePage[] = [{ texts: [], cells: [] }];
  let row = 0;
  const page = () => pages.at(-1) as InvoicePage;
  return {
    pages,
    /** Cells on one row: [x, text] pairs, right-aligned where x is negative (its right edge). */
    line(...cells: [number, string][]) {
      for (const [x, text] of cells) if (text) page().texts.push({ text, x: Math.abs(x), row, right: x < 0 });
      row++;
    },
    border(...cells: [number, number][]) {
      for (const [x, w] of cells) page().cells.push({ x, w, row });
    },
    skip(rows = 1) {
      row += rows;
    },
    newPage() {
      pages.push({ texts: [], cells: [] });
      row = 0;
    },
  };
}

interface Content {
  truth: InvoiceTruth;
  labels: { number: string; date: string; total: string; vendor: string };
  money: (value: number) => string;
  date: (iso: string) => string;
  tax: number;
}

const paidText = (truth: InvoiceTruth) => (truth.paid ? "Yes" : "No");

function vendorAndTitle(w: ReturnType<typeof pageWriter>, c: Content) {
  w.line([50, c.labels.vendor ? `${c.labels.vendor}: ${c.truth.vendor}` : c.truth.vendor]);
  w.line([50, "INVOICE"]);
}

/** The header fields as [label, value] pairs. */
const headerFields = (c: Content): [string, string][] => [
  [c.labels.number, c.truth.invoice_number],
  [c.labels.date, c.date(c.truth.date)],
  ["Currency", c.truth.currency],
  ["Paid", paidText(c.truth)],
];

/** Vendor, title and the header fields, each "Label: value" on its own line. */
function besideFields(w: ReturnType<typeof pageWriter>, c: Content) {
  vendorAndTitle(w, c);
  for (const [label, value] of headerFields(c)) w.line([50, `${label}: ${value}`]);
}

function itemTable(w: ReturnType<typeof pageWriter>, c: Content, bordered = false) {
  const columns: [number, number][] = [
    [45, 275],
    [325, 110],
    [440, 125],
  ];
  if (bordered) w.border(...columns);
  w.line([50, "Description"], [330, "Quantity"], [-555, "Amount"]);
  for (const item of c.truth.items) {
    if (bordered) w.border(...columns);
    w.line([50, item.description], [330, String(item.quantity)], [-555, c.money(item.amount)]);
  }
}

/** The layouts' own pages: each writes its fields, the item table and the total its own way. */
const WRITERS: Record<Exclude<Layout, "receipt">, (w: ReturnType<typeof pageWriter>, c: Content) => void> = {
  beside(w, c) {
    besideFields(w, c);
    itemTable(w, c);
    w.line([50, `${c.labels.total}: ${c.money(c.truth.total)}`]);
  },
  stacked(w, c) {
    vendorAndTitle(w, c);
    for (const [label, value] of [
      [c.labels.number, c.truth.invoice_number],
      [c.labels.date, c.date(c.truth.date)],
    ] as const) {
      w.line([50, label]);
      w.line([50, value]);
    }
    w.line([50, `Currency: ${c.truth.currency}`]);
    w.line([50, `Paid: ${paidText(c.truth)}`]);
    itemTable(w, c);
    w.line([50, `${c.labels.total}: ${c.money(c.truth.total)}`]);
  },
  "two-column"(w, c) {
    vendorAndTitle(w, c);
    w.line(
      [50, `${c.labels.number}: ${c.truth.invoice_number}`],
      [330, `${c.labels.date}: ${c.date(c.truth.date)}`],
    );
    w.line([50, `Currency: ${c.truth.currency}`], [330, `Paid: ${paidText(c.truth)}`]);
    itemTable(w, c);
    w.line([50, `${c.labels.total}: ${c.money(c.truth.total)}`]);
  },
  grid(w, c) {
    vendorAndTitle(w, c);
    w.line([50, c.labels.number], [230, c.labels.date], [400, c.labels.total]);
    w.line([50, c.truth.invoice_number], [230, c.date(c.truth.date)], [400, c.money(c.truth.total)]);
    w.skip();
    w.line([50, "Currency"], [230, "Paid"]);
    w.line([50, c.truth.currency], [230, paidText(c.truth)]);
    w.skip();
    itemTable(w, c);
  },
  bordered(w, c) {
    vendorAndTitle(w, c);
    for (const [label, value] of headerFields(c)) {
      w.border([45, 175], [220, 200]);
      w.line([50, label], [225, value]);
    }
    w.skip();
    itemTable(w, c, true);
    w.border([325, 110], [440, 125]);
    w.line([330, c.labels.total], [-555, c.money(c.truth.total)]);
  },
  leaders(w, c) {
    besideFields(w, c);
    itemTable(w, c);
    const dots = ".".repeat(18);
    w.line([300, "Subtotal"], [385, dots], [-555, c.money(c.truth.subtotal ?? 0)]);
    w.line([300, "Tax"], [385, dots], [-555, c.money(c.tax)]);
    w.line([300, c.labels.total], [385, dots], [-555, c.money(c.truth.total)]);
  },
  "colon-line"(w, c) {
    vendorAndTitle(w, c);
    for (const [label, value] of headerFields(c)) {
      w.line([50, `${label}:`]);
      w.line([70, value]);
    }
    itemTable(w, c);
    w.line([50, `${c.labels.total}:`]);
    w.line([70, c.money(c.truth.total)]);
  },
  twins(w, c) {
    vendorAndTitle(w, c);
    w.line([50, `${c.labels.number}: ${c.truth.invoice_number}`]);
    w.line([50, `Due Date: ${c.date(c.truth.due_date ?? "")}`]);
    w.line([50, `${c.labels.date}: ${c.date(c.truth.date)}`]);
    w.line([50, `Currency: ${c.truth.currency}`], [330, `Paid: ${paidText(c.truth)}`]);
    itemTable(w, c);
    w.line([330, "Subtotal:"], [-555, c.money(c.truth.subtotal ?? 0)]);
    w.line([330, "Tax:"], [-555, c.money(c.tax)]);
    w.line([330, "Total:"], [-555, c.money(c.truth.total)]);
  },
  "two-page"(w, c) {
    besideFields(w, c);
    itemTable(w, c);
    w.line([50, "Continued on page 2"]);
    w.newPage();
    w.line([50, `${c.truth.vendor}  ·  ${c.truth.invoice_number}  ·  page 2 of 2`]);
    w.skip();
    w.line([330, "Subtotal"], [-555, c.money(c.truth.subtotal ?? 0)]);
    w.line([330, "Tax"], [-555, c.money(c.tax)]);
    w.line([330, c.labels.total], [-555, c.money(c.truth.total)]);
  },
};

/** A till receipt in a monospace font, 40 characters wide: columns by padding with spaces. */
function receipt(c: Content): InvoicePage[] {
  const w = pageWriter();
  const pad = (left: string, right: string, width = 40) =>
    `${left}${" ".repeat(Math.max(3, width - left.length - right.length))}${right}`;
  w.line([12, c.truth.vendor]);
  w.line([12, `INVOICE #: ${c.truth.invoice_number}`]);
  w.line([12, `DATE: ${c.date(c.truth.date)}`]);
  w.line([12, "-".repeat(40)]);
  w.line([12, `${"ITEM".padEnd(20)}${"QTY".padEnd(5)}${"AMOUNT".padStart(15)}`]);
  for (const item of c.truth.items)
    w.line([
      12,
      `${item.description.padEnd(20)}${String(item.quantity).padEnd(5)}${c.money(item.amount).padStart(15)}`,
    ]);
  w.line([12, "-".repeat(40)]);
  w.line([12, pad("SUBTOTAL", c.money(c.truth.subtotal ?? 0))]);
  w.line([12, pad("TAX", c.money(c.tax))]);
  w.line([12, pad("TOTAL", c.money(c.truth.total))]);
  w.line([12, pad("CURRENCY", c.truth.currency)]);
  w.line([12, pad("PAID", c.truth.paid ? "YES" : "NO")]);
  return w.pages;
}

/** Layouts that print a subtotal (and tax, so the total is not the items' sum). */
const WITH_SUBTOTAL: readonly Layout[] = ["leaders", "twins", "two-page", "receipt"];

export interface InvoiceOptions {
  layout?: Layout;
  moneyStyle?: number;
  dateStyle?: number;
}

/** One invoice: its truth and its pages, in the layout asked for (else one chosen by the seed). */
export function makeInvoice(
  seed: number,
  options: InvoiceOptions = {},
): { truth: InvoiceTruth; doc: InvoiceDoc } {
  const r = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(r() * items.length)] as T;
  const items = Array.from({ length: 2 + Math.floor(r() * 3) }, () => ({
    description: pick(ITEMS),
    quantity: 1 + Math.floor(r() * 9),
    amount: Math.round(r() * 90_000) / 100 + 10,
  }));
  const sum = Math.round(items.reduce((n, i) => n + i.amount, 0) * 100) / 100;
  const moneyStyle = options.moneyStyle ?? Math.floor(r() * MONEY_STYLES);
  const dateStyle = options.dateStyle ?? Math.floor(r() * DATE_STYLES);
  const layout = options.layout ?? pick(LAYOUTS.filter((l) => !PDF_ONLY.includes(l)));
  const day = (offset: number) => {
    const at = new Date(Date.UTC(2020 + Math.floor(r() * 6), Math.floor(r() * 12), 1 + Math.floor(r() * 28)));
    at.setUTCDate(at.getUTCDate() + offset);
    return at.toISOString().slice(0, 10);
  };
  const withSubtotal = WITH_SUBTOTAL.includes(layout);
  const tax = withSubtotal ? Math.round(sum * 10) / 100 : 0;
  const date = day(0);
  const truth: InvoiceTruth = {
    invoice_number: `INV-${1000 + Math.floor(r() * 9000)}`,
    date,
    total: Math.round((sum + tax) * 100) / 100,
    vendor: pick(VENDORS),
    paid: r() < 0.5,
    currency: CURRENCY_OF_STYLE[moneyStyle] as InvoiceTruth["currency"],
    items,
    ...(withSubtotal ? { subtotal: sum } : {}),
  };
  if (layout === "twins") {
    const due = new Date(`${date}T00:00:00Z`);
    due.setUTCDate(due.getUTCDate() + 30);
    truth.due_date = due.toISOString().slice(0, 10);
  }
  const content: Content = {
    truth,
    labels: {
      number: pick(LABELS.invoice_number),
      date: pick(LABELS.date),
      total: pick(LABELS.total),
      vendor: pick(LABELS.vendor),
    },
    money: (value) => money(value, moneyStyle),
    date: (iso) => dateText(iso, dateStyle),
    tax,
  };
  if (layout === "receipt")
    return { truth, doc: { layout, width: 226, size: 8, mono: true, pages: receipt(content) } };
  const w = pageWriter();
  WRITERS[layout](w, content);
  return { truth, doc: { layout, width: 612, size: 12, mono: false, pages: w.pages } };
}

export type Rendering = "pdf" | "png" | "noisy" | "rotated";
export const RENDERINGS: readonly Rendering[] = ["pdf", "png", "noisy", "rotated"];

const TOP = 40;
/** Where a row's baseline and its cell's top sit, in points from the top of the page. */
const baseline = (doc: InvoiceDoc, row: number) => TOP + row * doc.size * 2 + doc.size * 1.35;
const cellTop = (doc: InvoiceDoc, row: number) => TOP + row * doc.size * 2;
const pageHeight = (doc: InvoiceDoc) =>
  doc.mono ? TOP * 2 + (Math.max(...(doc.pages[0]?.texts ?? []).map((t) => t.row)) + 1) * doc.size * 2 : 792;

async function renderPdf(doc: InvoiceDoc): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font: PDFFont = await pdf.embedFont(doc.mono ? StandardFonts.Courier : StandardFonts.Helvetica);
  const height = pageHeight(doc);
  for (const spec of doc.pages) {
    const page = pdf.addPage([doc.width, height]);
    for (const t of spec.texts) {
      const x = t.right ? t.x - font.widthOfTextAtSize(t.text, doc.size) : t.x;
      page.drawText(t.text, { x, y: height - baseline(doc, t.row), size: doc.size, font });
    }
    for (const c of spec.cells) {
      const h = doc.size * 2;
      page.drawRectangle({
        x: c.x,
        y: height - cellTop(doc, c.row) - h,
        width: c.w,
        height: h,
        borderColor: rgb(0.1, 0.1, 0.1),
        borderWidth: 0.8,
      });
    }
  }
  return pdf.save();
}

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The first page as a picture, 3 pixels a point (clean), cropped to its text; the renderer is librsvg with DejaVu fonts. */
async function renderPng(doc: InvoiceDoc): Promise<Buffer> {
  const s = 3;
  const spec = doc.pages[0] as InvoicePage;
  const font = doc.mono ? "DejaVu Sans Mono" : "DejaVu Sans";
  const texts = spec.texts.map(
    (t) =>
      `<text x="${t.x * s}" y="${baseline(doc, t.row) * s}" font-family="${font}" font-size="${doc.size * s}"${t.right ? ' text-anchor="end"' : ""} xml:space="preserve" fill="#111">${escapeXml(t.text)}</text>`,
  );
  const cells = spec.cells.map(
    (c) =>
      `<rect x="${c.x * s}" y="${cellTop(doc, c.row) * s}" width="${c.w * s}" height="${doc.size * 2 * s}" fill="none" stroke="#222" stroke-width="2"/>`,
  );
  // Cropped below the last row, as a photo of the page would be.
  const height = cellTop(doc, Math.max(...spec.texts.map((t) => t.row)) + 3);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${doc.width * s}" height="${height * s}"><rect width="100%" height="100%" fill="#fff"/>${cells.join("")}${texts.join("")}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/**
 * The invoice as a PDF with a text layer, a clean PNG, a scan-like one (noise, blur, JPEG, 0.8°)
 * or a grey JPEG scan rotated by 3° either way (the sign from `seed`; without the noise, which
 * with a 3° tilt defeats Tesseract itself).
 */
export async function renderInvoice(doc: InvoiceDoc, as: Rendering, seed = 0): Promise<Uint8Array> {
  if (as === "pdf") return renderPdf(doc);
  const png = await renderPng(doc);
  if (as === "png") return new Uint8Array(png);
  if (as === "noisy") return new Uint8Array(await degrade(png));
  const angle = seed % 2 === 0 ? 3 : -3;
  return new Uint8Array(
    await sharp(png).rotate(angle, { background: "#ffffff" }).greyscale().jpeg({ quality: 70 }).toBuffer(),
  );
}

/** Field-by-field comparison: which of the truth's fields the answer got exactly. */
export function scoreInvoice(truth: InvoiceTruth, answer: Record<string, unknown>): Record<string, boolean> {
  const items =
    (answer.items as { description?: string; quantity?: number; amount?: number }[] | undefined) ?? [];
  return {
    invoice_number: answer.invoice_number === truth.invoice_number,
    date: answer.date === truth.date,
    ...(truth.due_date !== undefined ? { due_date: answer.due_date === truth.due_date } : {}),
    ...(truth.subtotal !== undefined ? { subtotal: answer.subtotal === truth.subtotal } : {}),
    total: answer.total === truth.total,
    vendor: answer.vendor === truth.vendor,
    paid: answer.paid === truth.paid,
    currency: answer.currency === truth.currency,
    items:
      items.length === truth.items.length &&
      truth.items.every(
        (t, i) =>
          items[i]?.description === t.description &&
          items[i]?.quantity === t.quantity &&
          items[i]?.amount === t.amount,
      ),
  };
}

/**
 * Answers taken from another label's column: a wrong value that is another field's value, the
 * invoice number's digits, or a label's own text.
 */
export function crossedFields(truth: InvoiceTruth, answer: Record<string, unknown>): string[] {
  const others = (field: string) => [
    ...Object.entries(truth)
      .filter(([k, v]) => k !== field && typeof v !== "object")
      .map(([, v]) => v),
    Number(truth.invoice_number.replace(/\D/g, "")),
    ...truth.items.map((i) => i.amount),
  ];
  const labelWords = new Set(
    [...Object.values(LABELS).flat(), "Currency", "Paid", "Subtotal", "Tax", "Due Date", "Invoice Date"].map(
      (l) => l.toLowerCase(),
    ),
  );
  return Object.entries(answer)
    .filter(([field, value]) => {
      if (typeof value === "object" || value === (truth as unknown as Record<string, unknown>)[field])
        return false;
      if (typeof value === "string" && labelWords.has(value.toLowerCase().replace(/:$/, ""))) return true;
      return others(field).includes(value as never);
    })
    .map(([field]) => field);
}
