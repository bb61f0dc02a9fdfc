import { createRequire } from "node:module";
import path from "node:path";
import sharp from "sharp";
import Tesseract from "tesseract.js";
import { boundedImage } from "../../media/image-pixels.js";
import { toolIdleMs } from "../../runtime/worker-pool.js";
import { fraction, normalisedBox, type Xywh } from "../image/regions.js";

/** English LSTM data shipped in npm: tesseract.js's default language path is a CDN. */
const LANG_PATH = path.join(
  path.dirname(createRequire(import.meta.url).resolve("@tesseract.js-data/eng")),
  "4.0.0_best_int",
);

/** The width text is recognised at: small images are enlarged, huge ones reduced (seconds → minutes). */
const MIN_WIDTH = 1200;
const MAX_WIDTH = 2400;

// Types, not interfaces: results are JSON the model reads, and only type aliases fit JsonValue.
export type OcrWord = {
  text: string;
  /** [x, y, w, h], each 0–1 of the image's width or height, from the top-left. */
  xywh: Xywh;
  confidence: number;
};
export type OcrLine = OcrWord & { words: OcrWord[] };
export type OcrBlock = OcrWord & { lines: OcrLine[] };
export type OcrResult = {
  text: string;
  width: number;
  height: number;
  confidence: number;
  blocks: OcrBlock[];
};

let worker: Promise<Tesseract.Worker> | undefined;
let queue: Promise<unknown> = Promise.resolve();

function startWorker(): Promise<Tesseract.Worker> {
  return Tesseract.createWorker("eng", Tesseract.OEM.LSTM_ONLY, {
    langPath: LANG_PATH,
    gzip: true,
    // The default writes eng.traineddata into the working directory.
    cacheMethod: "none",
  });
}

/**
 * The clean-up pass: orientation from EXIF, no alpha, grey, a width Tesseract reads well, rules
 * erased, a median against speckle and stretched contrast. Measured on the test scan (noise,
 * blur, JPEG 45): CER 30% with median 3, 0% with median 5; clean renders stay at 0%.
 */
async function prepare(bytes: Uint8Array) {
  const image = boundedImage(bytes).rotate();
  const meta = await image.metadata();
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const target = width < MIN_WIDTH ? Math.min(MIN_WIDTH, width * 3) : Math.min(width, MAX_WIDTH);
  const { data, info } = await image
    .flatten({ background: "#ffffff" })
    .greyscale()
    .resize({ width: Math.round(target), kernel: "lanczos3" })
    .toColourspace("b-w")
    .raw()
    .toBuffer({ resolveWithObject: true });
  eraseRules(data, info.width, info.height);
  const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } })
    .median(5)
    .normalise()
    .png({ compressionLevel: 1 })
    .toBuffer();
  return { png, width: info.width, height: info.height };
}

/**
 * Whitens straight runs of ink longer than a twentieth of the width, across or down: table
 * borders and rules, which Tesseract otherwise reads as letters ("h", "B", "T" before a cell's text)
 * or takes for a picture and drops the cells they frame. No glyph of body text is that long.
 */
function eraseRules(pixels: Buffer, width: number, height: number): void {
  const min = Math.max(40, Math.round(width / 20));
  // A band of 7 pixels, so the thicker knots where two rules cross go too.
  const erase = (start: number, step: number, count: number, across: number) => {
    let run = 0;
    for (let i = 0; i <= count; i++) {
      const ink = i < count && (pixels[start + i * step] ?? 255) < 128;
      if (ink) run++;
      else {
        if (run >= min)
          for (let k = i - run; k < i; k++)
            for (let d = -3; d <= 3; d++) {
              const at = start + k * step + d * across;
              if (at >= 0 && at < pixels.length) pixels[at] = 255;
            }
        run = 0;
      }
    }
  };
  for (let y = 0; y < height; y++) erase(y * width, 1, width, width);
  for (let x = 0; x < width; x++) erase(x, width, height, 1);
}

const box = (b: Tesseract.Bbox, width: number, height: number) =>
  normalisedBox(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0, width, height);

let idleTimer: NodeJS.Timeout | undefined;
let active = 0;

/**
 * Recognises the text of an image with word, line and block geometry. One Tesseract worker
 * thread serves the process (started on first use, kept warm, ended after ORION_TOOL_IDLE_MS
 * without a job); jobs wait their turn.
 */
export function recognize(bytes: Uint8Array, signal?: AbortSignal): Promise<OcrResult> {
  active++;
  clearTimeout(idleTimer);
  const job = queue.then(async () => {
    signal?.throwIfAborted();
    const prepared = await prepare(bytes);
    worker ??= startWorker().catch((error) => {
      worker = undefined;
      throw error;
    });
    const { data } = await (await worker).recognize(prepared.png, {}, { blocks: true, text: true });
    const { width, height } = prepared;
    const blocks = (data.blocks ?? []).map((b) => ({
      text: b.text.trim(),
      xywh: box(b.bbox, width, height),
      confidence: fraction(b.confidence / 100),
      lines: b.paragraphs.flatMap((p) =>
        p.lines.map((l) => ({
          text: l.text.trim(),
          xywh: box(l.bbox, width, height),
          confidence: fraction(l.confidence / 100),
          words: l.words.map((w) => ({
            text: w.text,
            xywh: box(w.bbox, width, height),
            confidence: fraction(w.confidence / 100),
          })),
        })),
      ),
    }));
    return { text: data.text.trim(), width, height, confidence: fraction(data.confidence / 100), blocks };
  });
  queue = job.catch(() => undefined);
  void queue.then(() => {
    if (--active > 0) return;
    idleTimer = setTimeout(() => void stopOcr(), toolIdleMs());
    idleTimer.unref();
  });
  return job;
}

/** Ends the worker thread (tests and shutdown). */
export async function stopOcr(): Promise<void> {
  const current = worker;
  worker = undefined;
  if (current) await (await current).terminate();
}
