// Runs in a worker thread (see detect-objects.ts, detect-pose.ts): @vladmandic/human's COCO
// object detector (CenterNet) and body-pose model (MoveNet) on tfjs WASM, loaded once per worker
// from the models inside the npm package.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import sharp from "sharp";
import { packageRoot } from "../../../runtime/package-root.js";
import { fraction, normalisedBox } from "../regions.js";
import { rgbPixels } from "./rgb-pixels.js";

const require = createRequire(import.meta.url);
// The exports map has no "./package.json"; the main entry sits in dist/.
const packageDir = path.dirname(path.dirname(require.resolve("@vladmandic/human")));

interface HumanResult {
  object: { score: number; label: string; box: [number, number, number, number] }[];
  body: {
    score: number;
    box: [number, number, number, number];
    keypoints: { part: string; score: number; position: [number, number] }[];
  }[];
}
interface Tensor {
  shape: number[];
  data(): Promise<Int32Array | Float32Array | Uint8Array>;
  dispose(): void;
}
interface Human {
  load(): Promise<void>;
  detect(input: unknown, config?: object): Promise<HumanResult>;
  segmentation(input: unknown, config?: object): Promise<Tensor | null>;
  tf: { tensor(data: Uint8Array, shape: number[], dtype: string): Tensor };
}

/** The vendored selfie model (third_party/models/human-selfie): see its README for provenance. */
function selfieModel(): string {
  return pathToFileURL(path.join(packageRoot, "third_party", "models", "human-selfie", "selfie.json")).href;
}

/** human loads models with fetch, and Node's fetch cannot read file: URLs; this lets it. */
function allowFileFetch() {
  const original = globalThis.fetch;
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith("file:")) return new Response(await readFile(new URL(url)));
    return original(input, init);
  }) as typeof fetch;
}

let ready: Promise<Human> | undefined;

async function load(): Promise<Human> {
  allowFileFetch();
  // The package's exports map lacks "./" on its keys, so the node-wasm build is loaded by path.
  const { Human } = require(path.join(packageDir, "dist", "human.node-wasm.js")) as {
    Human: new (config: object) => Human;
  };
  const human = new Human({
    backend: "wasm",
    // Both would otherwise be CDN URLs.
    wasmPath: `${path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`,
    modelBasePath: `${pathToFileURL(path.join(packageDir, "models")).href}/`,
    debug: false,
    async: true,
    warmup: "none",
    cacheSensitivity: 0,
    face: { enabled: false },
    hand: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: true, modelPath: selfieModel() },
    body: { enabled: true, modelPath: "movenet-lightning.json", maxDetected: 1, minConfidence: 0.2 },
    object: {
      enabled: true,
      modelPath: "centernet.json",
      minConfidence: 0.2,
      maxDetected: 20,
      iouThreshold: 0.4,
    },
  });
  await human.load();
  return human;
}

export async function detect({ bytes }: { bytes: Uint8Array }) {
  ready ??= load();
  const human = await ready;
  const info = await rgbPixels(bytes);
  const tensor = human.tf.tensor(info.data, [1, info.height, info.width, 3], "int32");
  try {
    const result = await human.detect(tensor);
    const box = (b: [number, number, number, number]) =>
      normalisedBox(b[0], b[1], b[2], b[3], info.width, info.height);
    return {
      objects: result.object.map((o) => ({ label: o.label, score: fraction(o.score), xywh: box(o.box) })),
      people: result.body.map((b) => ({
        score: fraction(b.score),
        xywh: box(b.box),
        keypoints: b.keypoints.map((k) => ({
          part: k.part,
          score: fraction(k.score),
          xy: [fraction(k.position[0] / info.width), fraction(k.position[1] / info.height)],
        })),
      })),
    };
  } finally {
    tensor.dispose();
  }
}

/**
 * A person mask at the image's own size: white where a person is, black elsewhere (PNG), with the
 * share of the image it covers and its bounding box.
 */
export async function segmentPerson({ bytes }: { bytes: Uint8Array }) {
  ready ??= load();
  const human = await ready;
  const original = await sharp(bytes).metadata();
  const fullWidth = original.autoOrient?.width ?? original.width ?? 0;
  const fullHeight = original.autoOrient?.height ?? original.height ?? 0;
  const info = await rgbPixels(bytes);
  const tensor = human.tf.tensor(info.data, [1, info.height, info.width, 3], "int32");
  let rgba: Tensor | null = null;
  try {
    rgba = await human.segmentation(tensor);
    if (!rgba) throw new Error("the segmentation model gave no output");
    const [height, width] = rgba.shape.length === 4 ? rgba.shape.slice(1, 3) : rgba.shape.slice(0, 2);
    const values = await rgba.data();
    const w = width as number;
    const h = height as number;
    const alpha = new Uint8Array(w * h);
    let inside = 0;
    let [x0, y0, x1, y1] = [w, h, -1, -1];
    for (let i = 0; i < alpha.length; i++) {
      const a = Number(values[i * 4 + 3] ?? 0);
      alpha[i] = a >= 128 ? 255 : 0;
      if (alpha[i]) {
        inside++;
        const x = i % w;
        const y = Math.floor(i / w);
        [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      }
    }
    const mask = await sharp(Buffer.from(alpha), { raw: { width: w, height: h, channels: 1 } })
      .resize(fullWidth, fullHeight, { fit: "fill" })
      .png()
      .toBuffer();
    return {
      mask: new Uint8Array(mask),
      coverage: fraction(inside / alpha.length),
      xywh: x1 < 0 ? null : normalisedBox(x0, y0, x1 - x0 + 1, y1 - y0 + 1, w, h),
    };
  } finally {
    tensor.dispose();
    rgba?.dispose();
  }
}
