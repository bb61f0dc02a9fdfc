import path from "node:path";
import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { ArtifactMeta } from "../../artifacts/artifacts.js";
import { ToolError } from "../../errors.js";
import { ffmpeg, probe, readBytes, withVideoFile } from "../../media/ffmpeg.js";
import { videoRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadVideo, seconds } from "./video-input.js";

const MAX_FRAMES = 64;
/** Seeks run as separate ffmpeg processes; this many at once keeps two cores busy without thrashing. */
const PARALLEL = 4;

/** K timestamps at the middle of K equal slices, or every N seconds from 0. */
function timestamps(duration: number, count?: number, everySeconds?: number): number[] {
  if (everySeconds !== undefined) {
    const out: number[] = [];
    for (let t = 0; t < duration && out.length < MAX_FRAMES; t += everySeconds)
      out.push(Math.round(t * 1000) / 1000);
    return out;
  }
  const k = Math.min(count ?? 4, MAX_FRAMES);
  return Array.from({ length: k }, (_, i) => Math.round(((duration * (i + 0.5)) / k) * 1000) / 1000);
}

export const sampleFrames = defineTool({
  name: "sample_frames",
  description:
    "Sample frames from a video as images: `count` frames evenly spread over the video, or one every `every_seconds`. Each frame comes with its timestamp in seconds.",
  toolset: Toolset.VIDEO,
  needs: ["video"],
  heavy: true,
  input: {
    video: videoRef(),
    count: z
      .number()
      .int()
      .min(1)
      .max(MAX_FRAMES)
      .optional()
      .describe("How many frames, evenly spread (default 4)"),
    every_seconds: z.number().min(0.05).max(3600).optional().describe("One frame every this many seconds"),
    width: z
      .number()
      .int()
      .min(16)
      .max(3840)
      .optional()
      .describe("Frame width in pixels (default: the video's, at most 1280)"),
  },
  notBoth: ["count", "every_seconds"],
  async execute(input, ctx) {
    const video = await loadVideo(input.video, ctx);
    return withVideoFile(video.data, async (file, dir) => {
      const facts = await probe(file, ctx.signal);
      if (facts.duration <= 0) throw new ToolError(`${video.id} has no duration to sample`);
      const times = timestamps(facts.duration, input.count, input.every_seconds);
      const width = input.width ?? Math.min(facts.width, 1280);
      const frames: { t: number; image: string }[] = [];
      const metas: ArtifactMeta[] = [];
      for (let start = 0; start < times.length; start += PARALLEL) {
        const batch = times.slice(start, start + PARALLEL);
        const files = await Promise.all(
          batch.map(async (t, i) => {
            const out = path.join(dir, `frame-${start + i}.png`);
            // Input-side seek is fast; the frame shown at t is the one decoded first after it.
            await ffmpeg(
              ["-ss", seconds(t), "-i", file, "-frames:v", "1", "-vf", `scale=${width}:-2`, out],
              ctx.signal,
            );
            return out;
          }),
        );
        for (const [i, file] of files.entries()) {
          const t = batch[i] as number;
          const meta = await ctx.artifacts.put(
            await readBytes(file),
            "image/png",
            `${video.id}-${seconds(t)}s.png`,
          );
          metas.push(meta);
          frames.push({ t, image: meta.id });
        }
        ctx.progress(`${frames.length} of ${times.length} frames`);
      }
      return {
        summary: `sampled ${frames.length} frame${frames.length === 1 ? "" : "s"} from ${video.id} at ${frames.map((f) => `${f.t}s`).join(", ")}`,
        data: { video: video.id, duration: facts.duration, frames },
        artifacts: metas,
      };
    });
  },
});
