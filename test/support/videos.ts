import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A 12 s 320×240 H.264 + AAC video from ffmpeg's test sources, with scene cuts at 4 s and 8 s:
 * a moving test pattern, then solid blue, then colour bars.
 */
export function makeVideo(): Uint8Array {
  const dir = mkdtempSync(path.join(tmpdir(), "orion-test-video-"));
  try {
    const out = path.join(dir, "three-scenes.mp4");
    execFileSync("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-nostdin",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=s=320x240:r=25:d=4",
      "-f",
      "lavfi",
      "-i",
      "color=c=blue:s=320x240:r=25:d=4",
      "-f",
      "lavfi",
      "-i",
      "smptebars=s=320x240:r=25:d=4",
      "-f",
      "lavfi",
      "-i",
      "sine=f=440:d=12",
      "-filter_complex",
      "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]",
      "-map",
      "[v]",
      "-map",
      "3:a",
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-pix_fmt",
      "yuv420p",
      "-g",
      "50",
      "-c:a",
      "aac",
      "-shortest",
      out,
    ]);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
