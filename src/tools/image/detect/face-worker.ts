// Runs in a worker thread (see faces.ts): tfjs on WASM computes synchronously, so it must never
// run on the server's event loop. The models load once per worker, from the npm package's files.
import { createRequire } from "node:module";
import path from "node:path";
import { normalisedBox } from "../regions.js";
import { rgbPixels } from "./rgb-pixels.js";

const require = createRequire(import.meta.url);
type FaceApi = typeof import("@vladmandic/face-api");

let ready: Promise<FaceApi> | undefined;

async function load(): Promise<FaceApi> {
  const faceapi = require("@vladmandic/face-api/dist/face-api.node-wasm.js") as FaceApi;
  const wasm = require("@tensorflow/tfjs-backend-wasm") as { setWasmPaths(path: string): void };
  // The backend's .wasm files from the package folder (its default is a CDN).
  wasm.setWasmPaths(`${path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  // The same tfjs instance face-api requires.
  const tf = require("@tensorflow/tfjs") as {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
  };
  await tf.setBackend("wasm");
  await tf.ready();
  const models = path.join(path.dirname(require.resolve("@vladmandic/face-api/package.json")), "model");
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(models);
  return faceapi;
}

export async function detectFaces({ bytes, minConfidence }: { bytes: Uint8Array; minConfidence: number }) {
  ready ??= load();
  const faceapi = await ready;
  const info = await rgbPixels(bytes);
  const tensor = faceapi.tf.tensor3d(info.data, [info.height, info.width, 3], "int32");
  try {
    const found = await faceapi.detectAllFaces(
      tensor as never,
      new faceapi.SsdMobilenetv1Options({ minConfidence, maxResults: 100 }),
    );
    return found.map((f) => ({
      score: Math.round(f.score * 1000) / 1000,
      xywh: normalisedBox(f.box.x, f.box.y, f.box.width, f.box.height, info.width, info.height),
    }));
  } finally {
    tensor.dispose();
  }
}
