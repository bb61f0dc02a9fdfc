import type { JsonObject } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { extractToSchema, type TextLine } from "../../src/backends/local-planner/extract.js";
import { INVOICE_SCHEMA } from "../support/invoices.js";

const { invoice_number, date, due_date, subtotal, total } = INVOICE_SCHEMA.properties;
const SCHEMA = {
  type: "object",
  properties: { invoice_number, date, due_date, subtotal, total },
} as JsonObject;

const CHAR = 0.008;
const HEIGHT = 0.012;

/**
 * A line as OCR gives it: cells of words at `x` (share of the page's width) on a baseline at `y`,
 * one character CHAR wide; `skew` tilts the line (dy per dx), as on a rotated scan.
 */
function ocrLine(y: number, cells: [number, string][], skew = 0): TextLine {
  const words: { text: string; box: number[] }[] = [];
  for (const [x0, text] of cells) {
    let x = x0;
    for (const word of text.split(" ")) {
      words.push({ text: word, box: [x, y + skew * x, word.length * CHAR, HEIGHT] });
      x += (word.length + 1) * CHAR;
    }
  }
  const x1 = Math.max(...words.map((w) => (w.box[0] ?? 0) + (w.box[2] ?? 0)));
  const ys = words.map((w) => w.box[1] ?? 0);
  const box = [words[0]?.box[0] ?? 0, Math.min(...ys), x1, Math.max(...ys) - Math.min(...ys) + HEIGHT];
  return { text: cells.map(([, t]) => t).join("  "), page: 1, box, words };
}

/** Lines of a text layer without boxes (a plain file): cells two spaces apart. */
const textLines = (...lines: string[]): TextLine[] => lines.map((text) => ({ text, page: 1 }));

const extract = (lines: TextLine[]) => extractToSchema(SCHEMA, lines).value;

describe("a value is read from under or beside its own label, never from another label's column", () => {
  it("a header row over a row of values (boxes)", () => {
    const value = extract([
      ocrLine(0.1, [
        [0.08, "Invoice No."],
        [0.38, "Date"],
        [0.65, "Total Due"],
      ]),
      ocrLine(0.13, [
        [0.08, "INV-7781"],
        [0.38, "2024-03-07"],
        [0.65, "$56.10"],
      ]),
    ]);
    expect(value).toEqual({ invoice_number: "INV-7781", date: "2024-03-07", total: 56.1 });
  });

  it("a header row over a row of values (text without boxes: columns by order)", () => {
    const value = extract(textLines("Invoice No.  Date  Total Due", "INV-7781  2024-03-07  $56.10"));
    expect(value).toEqual({ invoice_number: "INV-7781", date: "2024-03-07", total: 56.1 });
  });

  it("a value under the neighbouring label is not taken for a label with nothing under it", () => {
    const value = extract([
      ocrLine(0.1, [
        [0.08, "Invoice No."],
        [0.38, "Total"],
      ]),
      ocrLine(0.13, [[0.38, "7781.00"]]),
    ]);
    expect(value).toEqual({ total: 7781 });
  });

  it("a value straddling two columns belongs to the one it overlaps most", () => {
    const value = extract([
      ocrLine(0.1, [
        [0.08, "Invoice No."],
        [0.2, "Total"],
      ]),
      ocrLine(0.13, [[0.17, "1,250.00"]]),
    ]);
    expect(value).toEqual({ total: 1250 });
  });

  it("near-twin labels: Due Date before Date, Subtotal before Total", () => {
    const value = extract([
      ocrLine(0.1, [[0.08, "Due Date: 2024-04-06"]]),
      ocrLine(0.13, [[0.08, "Date: 2024-03-07"]]),
      ocrLine(0.16, [
        [0.5, "Subtotal:"],
        [0.8, "51.00"],
      ]),
      ocrLine(0.19, [
        [0.5, "Total:"],
        [0.8, "56.10"],
      ]),
    ]);
    expect(value).toEqual({ date: "2024-03-07", due_date: "2024-04-06", subtotal: 51, total: 56.1 });
  });

  it("a right-aligned amount after dot leaders, on the label's baseline", () => {
    const value = extract([
      ocrLine(0.1, [
        [0.5, "Subtotal"],
        [0.62, "................"],
        [0.82, "51.00"],
      ]),
      ocrLine(0.13, [
        [0.5, "Total"],
        [0.62, "................"],
        [0.82, "56.10"],
      ]),
    ]);
    expect(value).toEqual({ subtotal: 51, total: 56.1 });
    expect(extract(textLines("Total ........ 56.10"))).toEqual({ total: 56.1 });
  });

  it("a colon label alone on its line, its value on the next", () => {
    const value = extract([
      ocrLine(0.1, [[0.08, "Invoice No.:"]]),
      ocrLine(0.13, [[0.1, "INV-7781"]]),
      ocrLine(0.16, [[0.08, "Total:"]]),
      ocrLine(0.19, [[0.1, "56.10"]]),
    ]);
    expect(value).toEqual({ invoice_number: "INV-7781", total: 56.1 });
  });

  it("a header grid on a scan tilted by 3°: rows follow the tilt", () => {
    const tilt = Math.tan((3 * Math.PI) / 180);
    const value = extract([
      ocrLine(
        0.1,
        [
          [0.08, "Invoice No."],
          [0.38, "Date"],
          [0.65, "Total Due"],
        ],
        tilt,
      ),
      ocrLine(
        0.13,
        [
          [0.08, "INV-7781"],
          [0.38, "2024-03-07"],
          [0.65, "$56.10"],
        ],
        tilt,
      ),
    ]);
    expect(value).toEqual({ invoice_number: "INV-7781", date: "2024-03-07", total: 56.1 });
  });
});
