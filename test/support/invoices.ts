import { PDFDocument, StandardFonts } from "pdf-lib";
import sharp from "sharp";
import { degrade } from "./documents.js";

/** What a generated invoice says, in the schema's terms. */
export interface InvoiceTruth {
  invoice_number: string;
  date: string;
  total: number;
  vendor: string;
  paid: boolean;
  currency: "USD" | "EUR" | "GBP";
  items: { description: string; quantity: number; amount: number }[];
}

export const INVOICE_SCHEMA = {
  type: "object",
  properties: {
    invoice_number: { type: "string" },
    date: { type: "string", format: "date" },
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
const LABELS = {
  invoice_number: ["Invoice No.", "Invoice #", "Invoice Number", "Inv. Number"],
  date: ["Date", "Invoice Date", "Issued", "Date of issue"],
  total: ["Total", "Amount Due", "Grand Total", "Balance Due"],
  vendor: ["Vendor", "From", "Seller", ""],
  paid: ["Paid", "Paid"],
  currency: ["Currency"],
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

function money(value: number, style: number): string {
  const [whole, cents] = value.toFixed(2).split(".") as [string, string];
  const grouped = (sep: string) => whole.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  if (style === 0) return `$${grouped(",")}.${cents}`;
  if (style === 1) return `${grouped(".")},${cents} EUR`;
  if (style === 2) return `£${grouped(",")}.${cents}`;
  return `${grouped(" ")}.${cents}`;
}

function dateText(iso: string, style: number): string {
  const [y, m, d] = iso.split("-").map(Number) as [number, number, number];
  if (style === 0) return iso;
  if (style === 1) return `${MONTHS[m - 1]} ${d}, ${y}`;
  if (style === 2) return `${String(d).padStart(2, "0")}.${String(m).padStart(2, "0")}.${y}`;
  return `${d} ${MONTHS[m - 1]?.slice(0, 3)} ${y}`;
}

/** One invoice: its truth and its lines of text, in one of two layouts (labels beside or above values). */
export function makeInvoice(seed: number): { truth: InvoiceTruth; lines: string[] } {
  const r = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(r() * items.length)] as T;
  const items = Array.from({ length: 2 + Math.floor(r() * 3) }, () => ({
    description: pick(ITEMS),
    quantity: 1 + Math.floor(r() * 9),
    amount: Math.round(r() * 90_000) / 100 + 10,
  }));
  const total = Math.round(items.reduce((n, i) => n + i.amount, 0) * 100) / 100;
  const style = Math.floor(r() * 4);
  const currency = (["USD", "EUR", "GBP", "USD"] as const)[style] as InvoiceTruth["currency"];
  const iso = `20${20 + Math.floor(r() * 6)}-${String(1 + Math.floor(r() * 12)).padStart(2, "0")}-${String(1 + Math.floor(r() * 28)).padStart(2, "0")}`;
  const truth: InvoiceTruth = {
    invoice_number: `INV-${1000 + Math.floor(r() * 9000)}`,
    date: iso,
    total,
    vendor: pick(VENDORS),
    paid: r() < 0.5,
    currency,
    items,
  };
  const vendorLabel = pick(LABELS.vendor);
  const stacked = r() < 0.3;
  const field = (label: string, value: string) => (stacked ? [label, value] : [`${label}: ${value}`]);
  const numberLine = field(pick(LABELS.invoice_number), truth.invoice_number);
  const dateLine = field(pick(LABELS.date), dateText(iso, Math.floor(r() * 4)));
  // Two-column header: two fields side by side on one line (cells four spaces apart).
  const twoColumns = !stacked && r() < 0.4;
  const header = twoColumns
    ? [`${numberLine[0]}    ${dateLine[0]}`, `Currency: ${currency}    Paid: ${truth.paid ? "Yes" : "No"}`]
    : [...numberLine, ...dateLine, `Currency: ${currency}`, `Paid: ${truth.paid ? "Yes" : "No"}`];
  const lines = [
    vendorLabel ? `${vendorLabel}: ${truth.vendor}` : truth.vendor,
    "INVOICE",
    ...header,
    "Description    Quantity    Amount",
    ...items.map((i) => `${i.description}    ${i.quantity}    ${money(i.amount, style)}`),
    `${pick(LABELS.total)}: ${money(total, style)}`,
  ];
  return { truth, lines };
}

/** Column starts for table rows (cells separated by four spaces in the lines), in points and pixels. */
const PDF_COLUMNS = [50, 330, 450];
const PNG_COLUMNS = [60, 760, 1040];

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The invoice as a PNG (clean or scan-like) or as a PDF with a text layer; table cells in columns. */
export async function renderInvoice(lines: string[], as: "png" | "noisy" | "pdf"): Promise<Uint8Array> {
  const cellsOf = (line: string) => line.split("    ");
  if (as === "pdf") {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const page = doc.addPage([612, 792]);
    lines.forEach((line, i) => {
      cellsOf(line).forEach((cell, c) => {
        page.drawText(cell, { x: PDF_COLUMNS[c] ?? 50, y: 740 - i * 22, size: 12, font });
      });
    });
    return doc.save();
  }
  const fontSize = 34;
  const height = 120 + lines.length * 58;
  const text = lines
    .flatMap((line, i) =>
      cellsOf(line).map(
        (cell, c) =>
          `<text x="${PNG_COLUMNS[c] ?? 60}" y="${70 + i * fontSize * 1.6}" font-family="DejaVu Sans" font-size="${fontSize}" fill="#111">${escapeXml(cell)}</text>`,
      ),
    )
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1400" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${text}</svg>`;
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  return new Uint8Array(as === "noisy" ? await degrade(png) : png);
}

/** Field-by-field comparison: which of the truth's fields the answer got exactly. */
export function scoreInvoice(truth: InvoiceTruth, answer: Record<string, unknown>): Record<string, boolean> {
  const items =
    (answer.items as { description?: string; quantity?: number; amount?: number }[] | undefined) ?? [];
  return {
    invoice_number: answer.invoice_number === truth.invoice_number,
    date: answer.date === truth.date,
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
