import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { previewsOf } from "../../src/artifacts/previews.js";
import { makeVideo } from "../support/videos.js";

const meta = (id: string, contentType: string) => ({ id, contentType, size: 0, filename: "", createdAt: 0 });

describe("artifact previews", () => {
  it("shows a video by its first frame, an image by itself, and skips what cannot be read", async () => {
    const video = makeVideo();
    const png = await sharp({ create: { width: 600, height: 300, channels: 3, background: "#ff0000" } })
      .png()
      .toBuffer();
    const files: Record<string, Uint8Array> = {
      vid_000001: video,
      img_000001: png,
      img_000002: new Uint8Array([1, 2, 3]),
    };
    const previews = await previewsOf(
      [
        meta("vid_000001", "video/mp4"),
        meta("img_000001", "image/png"),
        meta("img_000002", "image/png"),
        meta("doc_000001", "application/pdf"),
      ],
      async (id) => (files[id] ? { data: files[id] } : undefined),
    );
    expect(previews.map((p) => p.objectId)).toEqual(["vid_000001", "img_000001"]);
    const frame = await sharp(Buffer.from(previews[0]?.dataUrl.split(",")[1] as string, "base64")).metadata();
    expect([frame.format, frame.width, frame.height]).toEqual(["webp", 256, 192]); // 320×240 scaled to fit 256
    const still = await sharp(Buffer.from(previews[1]?.dataUrl.split(",")[1] as string, "base64")).metadata();
    expect([still.width, still.height]).toEqual([256, 128]);
  });
});
