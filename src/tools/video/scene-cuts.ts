import { readdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { ArtifactMeta } from "../../artifacts/artifacts.js";
import { ffmpeg, readBytes, withVideoFile } from "../../media/ffmpeg.js";
import { videoRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadVideo } from "./video-input.js";

const MAX_CUTS = 100;

export const sceneCuts = defineTool({
  name: "scene_cuts",
  description:
    "Find the scene cuts (shot changes) in a video and return a keyframe image for each scene, with the time each scene starts.",
  toolset: Toolset.VIDEO,
  needs: ["video"],
  heavy: true,
  input: {
    video: videoRef(),
    threshold: z
      .number()
      .min(0.05)
      .max(0.95)
      .default(0.3)
      .describe("How different two frames must be to count as a cut, 0–1"),
    width: z.number().int().min(16).max(1920).default(640).describe("Keyframe width in pixels"),
  },
  async execute(input, ctx) {
    const video = await loadVideo(input.video, ctx);
    const { threshold, width } = input;
    return withVideoFile(video.data, async (file, dir) => {
      // One pass: the first frame, plus every frame whose scene score passes the threshold;
      // showinfo prints each kept frame's time.
      const select = `select='eq(n\\,0)+gt(scene\\,${threshold})',showinfo,scale=${width}:-2`;
      const { stderr } = await ffmpeg(
        [
          "-i",
          file,
          "-vf",
          select,
          "-fps_mode",
          "vfr",
          "-frames:v",
          String(MAX_CUTS + 1),
          path.join(dir, "scene-%04d.png"),
        ],
        ctx.signal,
      );
      const times = [...stderr.matchAll(/pts_time:\s*([0-9.]+)/g)].map(
        (m) => Math.round(Number(m[1]) * 1000) / 1000,
      );
      const files = (await readdir(dir)).filter((f) => f.startsWith("scene-")).sort();
      const scenes: { start: number; image: string }[] = [];
      const metas: ArtifactMeta[] = [];
      for (const [i, file] of files.entries()) {
        const start = times[i] ?? 0;
        const meta = await ctx.artifacts.put(
          await readBytes(path.join(dir, file)),
          "image/png",
          `${video.id}-scene-${i + 1}.png`,
        );
        metas.push(meta);
        scenes.push({ start, image: meta.id });
      }
      const cuts = scenes.slice(1).map((s) => s.start);
      return {
        summary: `${video.id}: ${cuts.length} cut${cuts.length === 1 ? "" : "s"}${cuts.length > 0 ? ` at ${cuts.map((c) => `${c}s`).join(", ")}` : ""}; ${scenes.length} keyframe${scenes.length === 1 ? "" : "s"}`,
        data: { video: video.id, cuts, scenes },
        artifacts: metas,
      };
    });
  },
});
