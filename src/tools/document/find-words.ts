import type { Xywh } from "../image/regions.js";
import type { OcrLine } from "./ocr-engine.js";

const normal = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}@.]+/gu, "")
    .replace(/\.+$/, "");

/**
 * Boxes of every run of OCR words that spells `phrase` (case and surrounding punctuation
 * ignored), one box per run, the union of its words' boxes.
 */
export function findPhrase(lines: OcrLine[], phrase: string): Xywh[] {
  const wanted = phrase.split(/\s+/).map(normal).filter(Boolean);
  if (wanted.length === 0) return [];
  const boxes: Xywh[] = [];
  for (const line of lines) {
    const words = line.words.map((w) => normal(w.text));
    for (let i = 0; i + wanted.length <= words.length; i++) {
      if (!wanted.every((w, k) => words[i + k] === w)) continue;
      const run = line.words.slice(i, i + wanted.length).map((w) => w.xywh);
      const x0 = Math.min(...run.map((b) => b[0]));
      const y0 = Math.min(...run.map((b) => b[1]));
      const x1 = Math.max(...run.map((b) => b[0] + b[2]));
      const y1 = Math.max(...run.map((b) => b[1] + b[3]));
      boxes.push([x0, y0, x1 - x0, y1 - y0]);
    }
  }
  return boxes;
}

/** A box grown by `by` of the image on every side, for a margin that covers antialiased edges. */
export function pad([x, y, w, h]: Xywh, by = 0.004): Xywh {
  return [Math.max(0, x - by), Math.max(0, y - by), w + 2 * by, h + 2 * by];
}
