// Runs in a worker thread (see pdf.ts): pdfjs parses and @napi-rs/canvas paints on this thread,
// never on the server's event loop.
import { createRequire } from "node:module";
import path from "node:path";
import { PDFDocument } from "pdf-lib";
import { getDocument, type PDFDocumentProxy, type PDFPageProxy } from "pdfjs-dist/legacy/build/pdf.mjs";
import type { TextItem } from "pdfjs-dist/types/src/display/api.js";

const pkg = path.dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"));
/** Fonts, CMaps and wasm from the package itself: pdfjs never reaches for a CDN. */
const ASSETS = {
  standardFontDataUrl: `${pkg}/standard_fonts/`,
  cMapUrl: `${pkg}/cmaps/`,
  cMapPacked: true,
  wasmUrl: `${pkg}/wasm/`,
  isEvalSupported: false,
  verbosity: 0,
};

/** The largest page raster we paint, in pixels: bounds memory for absurd page sizes or scales. */
const MAX_PIXELS = 40_000_000;

async function open(bytes: Uint8Array): Promise<PDFDocumentProxy> {
  // pdfjs takes ownership of (detaches) the buffer it is given, so it gets a copy.
  return getDocument({ ...ASSETS, data: new Uint8Array(bytes) }).promise;
}

async function withDocument<T>(bytes: Uint8Array, use: (doc: PDFDocumentProxy) => Promise<T>): Promise<T> {
  const doc = await open(bytes);
  try {
    return await use(doc);
  } finally {
    await doc.destroy();
  }
}

async function itemsOf(page: PDFPageProxy): Promise<TextItem[]> {
  const content = await page.getTextContent();
  return content.items.filter((i): i is TextItem => "str" in i);
}

/**
 * The page's text from its items: a new line where the baseline moves, and on one line a gap
 * wider than two characters kept as two spaces, so columns (a table's cells, a label and its
 * value set apart) stay apart instead of running together.
 */
function joinItems(items: TextItem[]): string {
  let text = "";
  let previous: TextItem | undefined;
  let charWidth = 5;
  for (const item of items) {
    const blank = item.str.trim() === "";
    if (previous && !previous.hasEOL && item.str !== "") {
      const sameLine = Math.abs((item.transform[5] as number) - (previous.transform[5] as number)) < 1;
      if (!sameLine) text += "\n";
      else if (!blank) {
        const gap = (item.transform[4] as number) - ((previous.transform[4] as number) + previous.width);
        if (gap > 2 * charWidth) text += "  ";
        else if (gap > charWidth / 4 && !/\s$/.test(text)) text += " ";
      }
    }
    // pdf.js often reports a gap as one wide space item: wider than two characters, it is a column gap.
    if (blank && item.str !== "") text += item.width > 2 * charWidth ? "  " : " ";
    else text += item.str;
    if (item.hasEOL) text += "\n";
    if (!blank && item.str.length > 0) charWidth = item.width / item.str.length || charWidth;
    if (item.str !== "" || item.hasEOL) previous = item;
  }
  return text.replace(/[ \t]+\n/g, "\n").trim();
}

type Box = [number, number, number, number];
export type PdfWord = { text: string; xywh: Box };
export type PdfLine = { text: string; xywh: Box; words: PdfWord[] };

/** Ink height of a line of text as a share of its font size (cap height): boxes like OCR's. */
const INK = 0.72;

/**
 * The words of the page's items with normalised [x, y, w, h] boxes (top-left origin); a word's
 * place within its item is its share of the item's characters (exact for monospace, close otherwise).
 */
function wordsOf(items: TextItem[], width: number, height: number): (PdfWord & { baseline: number })[] {
  const words: (PdfWord & { baseline: number })[] = [];
  for (const item of items) {
    if (item.str.trim() === "" || item.str.length === 0) continue;
    const size = Math.hypot(item.transform[2] ?? 0, item.transform[3] ?? 0) || item.height || 10;
    const perChar = item.width / item.str.length;
    const baseline = item.transform[5] ?? 0;
    for (const word of item.str.matchAll(/\S+/g)) {
      const x = (item.transform[4] ?? 0) + perChar * word.index;
      words.push({
        text: word[0],
        baseline,
        xywh: [
          x / width,
          (height - baseline - size * INK) / height,
          (perChar * word[0].length) / width,
          (size * INK) / height,
        ],
      });
    }
  }
  return words;
}

const union = (boxes: Box[]): Box => {
  const x0 = Math.min(...boxes.map((b) => b[0]));
  const y0 = Math.min(...boxes.map((b) => b[1]));
  return [
    x0,
    y0,
    Math.max(...boxes.map((b) => b[0] + b[2])) - x0,
    Math.max(...boxes.map((b) => b[1] + b[3])) - y0,
  ];
};

/** The page's lines with their boxes and words', top to bottom: words on one baseline make a line. */
function layoutLines(items: TextItem[], width: number, height: number): PdfLine[] {
  const byBaseline = new Map<number, PdfWord[]>();
  for (const { baseline, ...word } of wordsOf(items, width, height)) {
    const key = [...byBaseline.keys()].find((b) => Math.abs(b - baseline) < 1) ?? baseline;
    byBaseline.set(key, [...(byBaseline.get(key) ?? []), word]);
  }
  return [...byBaseline.entries()]
    .sort(([a], [b]) => b - a)
    .map(([, words]) => {
      const sorted = words.sort((a, b) => a.xywh[0] - b.xywh[0]);
      return {
        text: sorted.map((w) => w.text).join(" "),
        xywh: union(sorted.map((w) => w.xywh)),
        words: sorted,
      };
    });
}

export async function info({ bytes }: { bytes: Uint8Array }) {
  return withDocument(bytes, async (doc) => {
    const meta = await doc.getMetadata().catch(() => undefined);
    const fields = (meta?.info ?? {}) as Record<string, unknown>;
    const pick = (key: string): string | null =>
      typeof fields[key] === "string" && fields[key] !== "" ? fields[key] : null;
    const pages: { page: number; width: number; height: number; characters: number }[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const { width, height } = page.getViewport({ scale: 1 });
      const characters = (await itemsOf(page)).reduce((sum, i) => sum + i.str.trim().length, 0);
      pages.push({ page: n, width: Math.round(width), height: Math.round(height), characters });
      page.cleanup();
    }
    return {
      pages: doc.numPages,
      title: pick("Title"),
      author: pick("Author"),
      subject: pick("Subject"),
      creator: pick("Creator"),
      producer: pick("Producer"),
      page_sizes: pages,
    };
  });
}

/** The pages a text job asks for: the list given, else every page from `firstPage` on. */
function pagesWanted(doc: PDFDocumentProxy, pages: number[] | undefined, firstPage: number): number[] {
  if (pages) return pages;
  if (firstPage > doc.numPages) throw new RangeError(`page ${firstPage} is outside 1–${doc.numPages}`);
  return Array.from({ length: doc.numPages - firstPage + 1 }, (_, i) => firstPage + i);
}

/** The text of the pages asked for, reading at most `maxPages` of them; `unread` counts the rest. */
export async function text({
  bytes,
  pages,
  firstPage = 1,
  maxPages,
  layout = false,
}: {
  bytes: Uint8Array;
  pages?: number[];
  firstPage?: number;
  maxPages: number;
  /** Also each line with its box and its words' boxes. */
  layout?: boolean;
}) {
  return withDocument(bytes, async (doc) => {
    const wanted = pagesWanted(doc, pages, firstPage);
    const out: { page: number; text: string; lines?: PdfLine[] }[] = [];
    for (const n of wanted.slice(0, maxPages)) {
      if (n < 1 || n > doc.numPages) throw new RangeError(`page ${n} is outside 1–${doc.numPages}`);
      const page = await doc.getPage(n);
      const items = await itemsOf(page);
      const { width, height } = page.getViewport({ scale: 1 });
      out.push({
        page: n,
        text: joinItems(items),
        ...(layout ? { lines: layoutLines(items, width, height) } : {}),
      });
      page.cleanup();
    }
    return { pages: doc.numPages, text: out, unread: Math.max(wanted.length - maxPages, 0) };
  });
}

async function paint(doc: PDFDocumentProxy, n: number, scale: number, boxes: number[][] = []) {
  if (n < 1 || n > doc.numPages) throw new RangeError(`page ${n} is outside 1–${doc.numPages}`);
  const page = await doc.getPage(n);
  let viewport = page.getViewport({ scale });
  const pixels = viewport.width * viewport.height;
  if (pixels > MAX_PIXELS) viewport = page.getViewport({ scale: scale * Math.sqrt(MAX_PIXELS / pixels) });
  const width = Math.ceil(viewport.width);
  const height = Math.ceil(viewport.height);
  const factory = (doc as unknown as { canvasFactory: CanvasFactory }).canvasFactory;
  const { canvas, context } = factory.create(width, height);
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  await page.render({ canvasContext: context, viewport, canvas } as never).promise;
  context.fillStyle = "#000000";
  for (const [x, y, w, h] of boxes) {
    context.fillRect(
      (x as number) * width,
      (y as number) * height,
      (w as number) * width,
      (h as number) * height,
    );
  }
  const png = canvas.toBuffer("image/png");
  page.cleanup();
  return {
    png: new Uint8Array(png),
    width,
    height,
    pointsWidth: page.view[2] ?? 0,
    pointsHeight: page.view[3] ?? 0,
  };
}

interface CanvasFactory {
  create(
    width: number,
    height: number,
  ): {
    canvas: { toBuffer(type: "image/png"): Buffer };
    context: { fillStyle: string; fillRect(x: number, y: number, w: number, h: number): void };
  };
}

export async function render({ bytes, page, scale }: { bytes: Uint8Array; page: number; scale: number }) {
  return withDocument(bytes, (doc) => paint(doc, page, scale));
}

/** Normalised [x, y, w, h] (top-left origin) of every occurrence of `needle` on a page. */
async function findText(page: PDFPageProxy, needle: string): Promise<number[][]> {
  const viewport = page.getViewport({ scale: 1 });
  const boxes: number[][] = [];
  const lower = needle.toLowerCase();
  for (const item of await itemsOf(page)) {
    const haystack = item.str.toLowerCase();
    if (item.str.length === 0) continue;
    const fontSize = Math.hypot(item.transform[2] ?? 0, item.transform[3] ?? 0) || item.height || 10;
    for (let at = haystack.indexOf(lower); at !== -1; at = haystack.indexOf(lower, at + 1)) {
      // Characters are placed proportionally within the item: exact for monospace, close otherwise,
      // so the box is padded by a character either side.
      const perChar = item.width / item.str.length;
      const x0 = (item.transform[4] ?? 0) + perChar * (at - 0.5);
      const x1 = (item.transform[4] ?? 0) + perChar * (at + needle.length + 0.5);
      const baseline = item.transform[5] ?? 0;
      const [ax, ay] = viewport.convertToViewportPoint(x0, baseline + fontSize * 0.95);
      const [bx, by] = viewport.convertToViewportPoint(x1, baseline - fontSize * 0.3);
      const left = Math.min(ax as number, bx as number);
      const top = Math.min(ay as number, by as number);
      boxes.push([
        left / viewport.width,
        top / viewport.height,
        Math.abs((bx as number) - (ax as number)) / viewport.width,
        Math.abs((by as number) - (ay as number)) / viewport.height,
      ]);
    }
  }
  return boxes;
}

/**
 * A new PDF whose pages are images of the old ones with black boxes over the given text and
 * regions. Rasterising is what makes the redaction real: no text, font or object of the original
 * survives to be copied out from under the box.
 */
export async function redact({
  bytes,
  texts,
  regions,
  scale,
}: {
  bytes: Uint8Array;
  texts: string[];
  regions: { page: number; xywh: number[] }[];
  scale: number;
}) {
  return withDocument(bytes, async (doc) => {
    const out = await PDFDocument.create();
    let found = 0;
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const boxes = regions.filter((r) => r.page === n).map((r) => r.xywh);
      for (const t of texts) {
        const hits = await findText(page, t);
        found += hits.length;
        boxes.push(...hits);
      }
      const painted = await paint(doc, n, scale, boxes);
      const image = await out.embedPng(painted.png);
      const target = out.addPage([painted.pointsWidth, painted.pointsHeight]);
      target.drawImage(image, { x: 0, y: 0, width: painted.pointsWidth, height: painted.pointsHeight });
    }
    return { pdf: await out.save(), pages: doc.numPages, textMatches: found };
  });
}
