import sharp from "sharp";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { Xywh } from "../image/regions.js";
import { pictureOrPage } from "../inputs.js";
import { defineTool } from "../tool.js";
import { pictureOf } from "./document-input.js";
import { type OcrBlock, type OcrLine, recognize } from "./ocr-engine.js";

type LayoutBlock = { type: "heading" | "text" | "picture"; xywh: Xywh; text?: string };

const GRID = 96;
/** A cell is ink when it differs from the page's background by this much (0–255). */
const INK = 40;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * Text blocks from OCR lines: a line set clearly larger than the page's usual line is a heading
 * line; consecutive lines of one kind within one OCR block form a layout block.
 */
function textBlocks(blocks: OcrBlock[]): LayoutBlock[] {
  const usual = median(blocks.flatMap((b) => b.lines).map((l) => l.xywh[3]));
  const out: LayoutBlock[] = [];
  for (const block of blocks) {
    let group: { type: "heading" | "text"; lines: OcrLine[] } | undefined;
    const flush = () => {
      if (!group) return;
      const boxes = group.lines.map((l) => l.xywh);
      const x0 = Math.min(...boxes.map((b) => b[0]));
      const y0 = Math.min(...boxes.map((b) => b[1]));
      const x1 = Math.max(...boxes.map((b) => b[0] + b[2]));
      const y1 = Math.max(...boxes.map((b) => b[1] + b[3]));
      out.push({
        type: group.type,
        xywh: [x0, y0, x1 - x0, y1 - y0],
        text: group.lines.map((l) => l.text).join("\n"),
      });
      group = undefined;
    };
    for (const line of block.lines) {
      if (line.text === "") continue;
      const type = line.xywh[3] >= usual * 1.35 ? "heading" : "text";
      if (group?.type !== type) flush();
      group ??= { type, lines: [] };
      group.lines.push(line);
    }
    flush();
  }
  return out;
}

/**
 * Picture regions: connected areas of "ink" on a coarse grid that no text block covers and that
 * are big enough to be a figure, photo or chart rather than a rule or a speck.
 */
async function pictureBlocks(bytes: Uint8Array, text: LayoutBlock[]): Promise<LayoutBlock[]> {
  const { data, info } = await sharp(bytes)
    .rotate()
    .flatten({ background: "#ffffff" })
    .greyscale()
    .resize({ width: GRID, fit: "fill", height: GRID, kernel: "cubic" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const background = median([...data]);
  const cols = info.width;
  const rows = info.height;
  const ink = new Uint8Array(cols * rows);
  for (let i = 0; i < ink.length; i++) ink[i] = Math.abs((data[i] ?? 0) - background) > INK ? 1 : 0;
  for (const b of text) {
    const [x, y, w, h] = b.xywh;
    for (let r = Math.floor(y * rows) - 1; r <= Math.ceil((y + h) * rows); r++)
      for (let c = Math.floor(x * cols) - 1; c <= Math.ceil((x + w) * cols); c++)
        if (r >= 0 && r < rows && c >= 0 && c < cols) ink[r * cols + c] = 0;
  }
  const seen = new Uint8Array(ink.length);
  const pictures: LayoutBlock[] = [];
  for (let start = 0; start < ink.length; start++) {
    if (!ink[start] || seen[start]) continue;
    let [minR, maxR, minC, maxC, cells] = [rows, 0, cols, 0, 0];
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const at = stack.pop() as number;
      const r = Math.floor(at / cols);
      const c = at % cols;
      cells++;
      [minR, maxR, minC, maxC] = [Math.min(minR, r), Math.max(maxR, r), Math.min(minC, c), Math.max(maxC, c)];
      for (const [dr, dc] of [
        [1, 0],
        [-1, 0],
        [0, 1],
        [0, -1],
      ] as const) {
        const nr = r + dr;
        const nc = c + dc;
        const next = nr * cols + nc;
        if (nr >= 0 && nr < rows && nc >= 0 && nc < cols && ink[next] && !seen[next]) {
          seen[next] = 1;
          stack.push(next);
        }
      }
    }
    const w = maxC - minC + 1;
    const h = maxR - minR + 1;
    if (cells >= 12 && w >= 4 && h >= 4 && (w * h) / (cols * rows) >= 0.015) {
      pictures.push({ type: "picture", xywh: [minC / cols, minR / rows, w / cols, h / rows] });
    }
  }
  return pictures;
}

export const layout = defineTool({
  name: "layout",
  description:
    "Page layout of a document image or PDF page: blocks of type heading, text and picture (figures, photos, charts), each with its box as normalised [x, y, w, h], in reading order.",
  toolset: Toolset.DOCUMENT,
  needs: ["image", "document"],
  heavy: true,
  input: pictureOrPage(),
  async execute(input, ctx) {
    const picture = await pictureOf(input, ctx);
    ctx.progress(`reading the layout of ${picture.source}`);
    const text = textBlocks((await recognize(picture.bytes, ctx.signal)).blocks);
    const blocks = [...text, ...(await pictureBlocks(picture.bytes, text))].sort(
      (a, b) => a.xywh[1] - b.xywh[1] || a.xywh[0] - b.xywh[0],
    );
    const count = (type: string) => blocks.filter((b) => b.type === type).length;
    return {
      summary: `${picture.source}: ${count("heading")} heading, ${count("text")} text and ${count("picture")} picture block${blocks.length === 1 ? "" : "s"}`,
      data: { source: picture.source, blocks },
      artifacts: [],
    };
  },
});
