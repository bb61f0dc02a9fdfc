// Runs in a worker thread (see detect-objects.ts, detect-people.ts): @vladmandic/human's COCO
// object detector (CenterNet) and body-pose model (MoveNet) on tfjs WASM, loaded once per worker
// from the models inside the npm package.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import sharp from "sharp";

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
interface Human {
  load(): Promise<void>;
  detect(input: unknown, config?: object): Promise<HumanResult>;
  tf: { tensor(data: Uint8Array, shape: number[], dtype: string): { dispose(): void } };
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
    segmentation: { enabled: false },
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

const round = (n: number) => Math.round(Math.min(1, Math.max(0, n)) * 10_000) / 10_000;

export async function detect({ bytes }: { bytes: Uint8Array }) {
  ready ??= load();
  const human = await ready;
  const { data, info } = await sharp(bytes)
    .rotate()
    .resize(1024, 1024, { fit: "inside", withoutEnlargement: true })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const tensor = human.tf.tensor(new Uint8Array(data), [1, info.height, info.width, 3], "int32");
  try {
    const result = await human.detect(tensor);
    const box = (b: [number, number, number, number]) => [
      round(b[0] / info.width),
      round(b[1] / info.height),
      round(b[2] / info.width),
      round(b[3] / info.height),
    ];
    return {
      objects: result.object.map((o) => ({ label: o.label, score: round(o.score), xywh: box(o.box) })),
      people: result.body.map((b) => ({
        score: round(b.score),
        xywh: box(b.box),
        keypoints: b.keypoints.map((k) => ({
          part: k.part,
          score: round(k.score),
          xy: [round(k.position[0] / info.width), round(k.position[1] / info.height)],
        })),
      })),
    };
  } finally {
    tensor.dispose();
  }
}
