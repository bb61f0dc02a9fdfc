import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopOcr } from "../../src/tools/document/ocr-engine.js";
import { characterErrorRate, degrade, makeDocx, makePdf, textImage } from "../support/documents.js";
import { toolHarness } from "../support/tool-harness.js";

const PDF = "application/pdf";
const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const LINES = [
  "Invoice 2041 for Acme Robotics",
  "Total due: 1,284.50 USD by March 3",
  "Contact billing@acme.example for help",
];
const h = toolHarness();
let cleanImage: string;
let scannedImage: string;
let pdf: string;

beforeAll(async () => {
  const clean = await textImage(LINES);
  cleanImage = await h.put(clean, "image/png");
  scannedImage = await h.put(await degrade(clean), "image/jpeg");
  pdf = await h.put(
    await makePdf([
      { lines: ["Quarterly report", "North 1,200 1,340 1,410", "South 980 1,010 1,150"] },
      { lines: ["Second page: the secret code is 7731"] },
      { image: await textImage(["A scanned page of text"], { width: 1224, height: 1584, fontSize: 48 }) },
    ]),
    PDF,
  );
}, 60_000);
afterAll(() => stopOcr());

type Line = { text: string; xywh: number[]; confidence: number; words: { text: string; xywh: number[] }[] };

describe("PDF tools (pdfjs in a worker thread)", () => {
  it("pdf_info reports pages, sizes, title and which pages are scans", async () => {
    const { data } = await h.run("pdf_info", { file: pdf });
    expect(data).toMatchObject({
      pages: 3,
      title: "Test document",
      author: "Orion tests",
      pages_without_text: [3],
      page_sizes: [
        { page: 1, width: 612, height: 792 },
        { page: 2, width: 612, height: 792 },
        { page: 3, width: 612, height: 792, characters: 0 },
      ],
    });
  });

  it("pdf_text returns what was written, page by page, and flags the scanned page", async () => {
    const result = await h.run("pdf_text", { file: pdf });
    const byPage = (result.data as { by_page: { page: number; text: string }[] }).by_page;
    expect(byPage[0]?.text).toBe("Quarterly report\nNorth 1,200 1,340 1,410\nSouth 980 1,010 1,150");
    expect(byPage[1]?.text).toBe("Second page: the secret code is 7731");
    expect(byPage[2]?.text).toBe("");
    expect(result.summary).toContain("no text on page 3: scanned, use ocr");
    const one = await h.run("pdf_text", { file: pdf, pages: [2] });
    expect((one.data as { text: string }).text).toBe("Second page: the secret code is 7731");
    await expect(h.run("pdf_text", { file: pdf, pages: [9] })).rejects.toThrow(/page 9 is outside 1–3/);
  });

  it("pdf_text reads at most ORION_PDF_MAX_PAGES pages a call and gives the arguments that read on", async () => {
    const capped = toolHarness(2);
    const file = await capped.put(h.bytes(pdf), PDF);
    const pagesOf = (r: { data?: unknown }) =>
      (r.data as { by_page: { page: number }[] }).by_page.map((p) => p.page);
    const first = await capped.run("pdf_text", { file });
    expect(pagesOf(first)).toEqual([1, 2]);
    expect(first.data).toMatchObject({ pages: 3, pages_unread: 1, next: { first_page: 3 } });
    expect(first.summary).toContain('call pdf_text again with {"first_page":3} for the rest');
    const rest = await capped.run("pdf_text", { file, first_page: 3 });
    expect(pagesOf(rest)).toEqual([3]);
    expect(rest.data).not.toHaveProperty("next");
    const listed = await capped.run("pdf_text", { file, pages: [3, 1, 2] });
    expect(pagesOf(listed)).toEqual([3, 1]);
    expect(listed.data).toMatchObject({ pages_unread: 1, next: { pages: [2] } });
    await expect(capped.run("pdf_text", { file, first_page: 4 })).rejects.toThrow(/page 4 is outside 1–3/);
  });

  it("pdf_render paints a page at the page's size times the scale", async () => {
    const result = await h.run("pdf_render", { file: pdf, page: 1, scale: 2 });
    const image = (result.data as { image: string }).image;
    const meta = await sharp(h.bytes(image)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 1224, 1584]);
    // Text was painted: the page is not blank.
    const stats = await sharp(h.bytes(image)).greyscale().stats();
    expect(stats.channels[0]?.min).toBeLessThan(80);
  });

  it("refuses a file that is not a PDF with a clear tool error", async () => {
    const notPdf = await h.put(Buffer.from("%PDF-1.7 but not really"), PDF);
    await expect(h.run("pdf_info", { file: notPdf })).rejects.toThrow(/could not be read as a PDF/);
    await expect(h.run("pdf_info", { file: cleanImage.replace("img_", "doc_") })).rejects.toThrow(/no file/);
  });
});

describe("OCR (tesseract.js with the npm English data)", () => {
  it("reads every word of a clean render, with word boxes where the words were drawn", async () => {
    const { data } = await h.run("ocr", { image: cleanImage });
    const { text, lines } = data as { text: string; lines: Line[] };
    expect(characterErrorRate(LINES.join("\n"), text)).toBe(0);
    expect(lines).toHaveLength(3);
    // "Invoice" starts at x=60 of 1200, on the first baseline (y=90 of 800).
    const invoice = lines[0]?.words[0];
    expect(invoice?.text).toBe("Invoice");
    expect(invoice?.xywh[0]).toBeCloseTo(60 / 1200, 1);
    expect(invoice?.xywh[1]).toBeGreaterThan(50 / 800);
    expect(invoice?.xywh[1]).toBeLessThan(90 / 800);
    for (const line of lines) expect(line.confidence).toBeGreaterThan(0.8);
  });

  it("reads a degraded scan within a 5% character error rate", async () => {
    const { data } = await h.run("ocr", { image: scannedImage });
    expect(characterErrorRate(LINES.join("\n"), (data as { text: string }).text)).toBeLessThan(0.05);
  });

  it("reads a scanned PDF page by rendering it first", async () => {
    const { data } = await h.run("ocr", { file: pdf, page: 3 });
    expect((data as { text: string }).text).toBe("A scanned page of text");
  });

  it("layout finds the heading, the body text and the picture", async () => {
    const page = await textImage(
      ["The pump was inspected on site and found", "to be working within its rated limits."],
      {
        extraSvg:
          '<text x="60" y="110" font-family="DejaVu Sans" font-size="64" font-weight="bold">Field report</text>' +
          '<rect x="700" y="420" width="380" height="300" fill="#3a7bd5"/><circle cx="890" cy="570" r="90" fill="#f4c542"/>',
        top: 220,
      },
    );
    const id = await h.put(page, "image/png");
    const { data } = await h.run("layout", { image: id });
    const blocks = (data as { blocks: { type: string; xywh: number[]; text?: string }[] }).blocks;
    expect(blocks.map((b) => b.type)).toEqual(["heading", "text", "picture"]); // reading order
    const heading = blocks.find((b) => b.type === "heading");
    expect(heading?.text).toBe("Field report");
    expect(blocks.find((b) => b.type === "text")?.text).toContain("The pump was inspected");
    const picture = blocks.find((b) => b.type === "picture");
    expect(picture?.xywh[0]).toBeCloseTo(700 / 1200, 1);
    expect(picture?.xywh[1]).toBeCloseTo(420 / 800, 1);
    expect(picture?.xywh[2]).toBeCloseTo(380 / 1200, 1);
  });
});

describe("DOCX and redaction", () => {
  it("docx_text reads the paragraphs of a Word file", async () => {
    const id = await h.put(makeDocx(["Meeting notes", "Ship the release on Friday."]), DOCX);
    const { data } = await h.run("docx_text", { file: id });
    expect((data as { text: string }).text).toBe("Meeting notes\n\nShip the release on Friday.");
  });

  it("redacts a phrase in an image: black where it was, unchanged elsewhere, unreadable after", async () => {
    const result = await h.run("redact", { image: cleanImage, texts: ["billing@acme.example"] });
    const { image, regions, not_found } = result.data as {
      image: string;
      regions: number[][];
      not_found: string[];
    };
    expect(not_found).toEqual([]);
    expect(regions).toHaveLength(1);
    const before = await sharp(h.bytes(cleanImage)).removeAlpha().raw().toBuffer();
    const after = await sharp(h.bytes(image)).removeAlpha().raw().toBuffer();
    const [x, y, w, hgt] = regions[0] as number[];
    let inside = 0;
    let changedOutside = 0;
    for (let py = 0; py < 800; py++) {
      for (let px = 0; px < 1200; px++) {
        const i = (py * 1200 + px) * 3;
        // The same whole-pixel box the tool fills: floor of the start, ceiling of the end.
        const within =
          px >= Math.floor((x as number) * 1200) &&
          px < Math.ceil(((x as number) + (w as number)) * 1200) &&
          py >= Math.floor((y as number) * 800) &&
          py < Math.ceil(((y as number) + (hgt as number)) * 800);
        if (within) inside += after[i] === 0 ? 1 : 0;
        else if (after[i] !== before[i]) changedOutside++;
      }
    }
    expect(inside).toBeGreaterThan(0);
    expect(changedOutside).toBe(0);
    const reread = await h.run("ocr", { image });
    const text = (reread.data as { text: string }).text;
    expect(text).not.toContain("billing");
    expect(text).toContain("Total due");
  });

  it("redacts text in a PDF into a flattened PDF with no text left to copy", async () => {
    const result = await h.run("redact", { file: pdf, texts: ["7731"] });
    const out = (result.data as { file: string; text_matches: number }).file;
    expect((result.data as { text_matches: number }).text_matches).toBe(1);
    const text = await h.run("pdf_text", { file: out });
    expect((text.data as { text: string }).text).toBe(""); // every page is now a picture
    const page2 = await h.run("ocr", { file: out, page: 2 });
    const read = (page2.data as { text: string }).text;
    expect(read).toContain("Second page");
    expect(read).not.toContain("7731");
  });
});
