import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { toolHarness } from "../support/tool-harness.js";
import { makeVideo } from "../support/videos.js";

const h = toolHarness();
let video: string;
beforeAll(async () => {
  video = await h.put(makeVideo(), "video/mp4");
}, 60_000);

async function meanColour(id: string) {
  const { channels } = await sharp(h.bytes(id)).stats();
  return { r: channels[0]?.mean ?? 0, g: channels[1]?.mean ?? 0, b: channels[2]?.mean ?? 0 };
}

describe("video tools (Debian ffmpeg)", () => {
  it("video_probe reports duration, size, rate and codecs", async () => {
    const { data } = await h.run("video_probe", { video });
    expect(data).toMatchObject({ width: 320, height: 240, fps: 25, video_codec: "h264", audio_codec: "aac" });
    expect((data as { duration: number }).duration).toBeCloseTo(12, 1);
  });

  it("sample_frames gives the requested count at evenly spread timestamps, each a real frame", async () => {
    const result = await h.run("sample_frames", { video, count: 4 });
    const frames = (result.data as { frames: { t: number; image: string }[] }).frames;
    expect(frames.map((f) => f.t)).toEqual([1.5, 4.5, 7.5, 10.5]);
    expect(result.artifacts).toHaveLength(4);
    for (const f of frames) {
      const meta = await sharp(h.bytes(f.image)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["png", 320, 240]);
    }
    // 4.5 s is inside the solid blue scene; 1.5 s is not.
    const blue = await meanColour(frames[1]?.image as string);
    expect(blue.b).toBeGreaterThan(200);
    expect(blue.r).toBeLessThan(30);
    expect((await meanColour(frames[0]?.image as string)).r).toBeGreaterThan(30);

    const every = await h.run("sample_frames", { video, every_seconds: 5, width: 160 });
    const times = (every.data as { frames: { t: number; image: string }[] }).frames;
    expect(times.map((f) => f.t)).toEqual([0, 5, 10]);
    expect((await sharp(h.bytes(times[0]?.image as string)).metadata()).width).toBe(160);
  });

  it("scene_cuts finds the cuts at 4 s and 8 s with a keyframe per scene", async () => {
    const { data } = await h.run("scene_cuts", { video });
    const { cuts, scenes } = data as { cuts: number[]; scenes: { start: number; image: string }[] };
    expect(cuts).toHaveLength(2);
    expect(cuts[0]).toBeCloseTo(4, 1);
    expect(cuts[1]).toBeCloseTo(8, 1);
    expect(scenes.map((s) => s.start)[0]).toBe(0);
    expect((await meanColour(scenes[1]?.image as string)).b).toBeGreaterThan(200);
  });

  it("trim cuts a clip of exactly the requested length", async () => {
    const result = await h.run("trim", { video, start: 3, duration: 4 });
    const clip = (result.data as { video: string }).video;
    expect(clip).toMatch(/^vid_/);
    const { data } = await h.run("video_probe", { video: clip });
    expect((data as { duration: number }).duration).toBeCloseTo(4, 1);
    const first = await h.run("sample_frames", { video: clip, count: 2 });
    // 3 s + 3 s = 6 s of the original: the blue scene.
    const second = (first.data as { frames: { image: string }[] }).frames[1]?.image as string;
    expect((await meanColour(second)).b).toBeGreaterThan(200);
    await expect(h.run("trim", { video, start: 30, duration: 1 })).rejects.toThrow(/only 12(\.\d+)? s long/);
  });

  it("reports a file that is not a video as a tool error", async () => {
    const bogus = await h.put(Buffer.from("not a video at all"), "video/mp4");
    await expect(h.run("video_probe", { video: bogus })).rejects.toThrow(/ffprobe failed|no video stream/);
  });
});
