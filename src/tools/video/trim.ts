import path from "node:path";
import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import { ffmpeg, probe, readBytes, withVideoFile } from "../../media/ffmpeg.js";
import { videoRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadVideo, seconds } from "./video-input.js";

export const trim = defineTool({
  name: "trim",
  description:
    "Cut a clip out of a video, from `start` to `end` seconds (or `start` plus `duration`); returns a new MP4 video artifact cut at exactly those times.",
  toolset: Toolset.VIDEO,
  needs: ["video"],
  heavy: true,
  input: {
    video: videoRef(),
    start: z.number().min(0).describe("Start time in seconds"),
    end: z.number().gt(0).optional().describe("End time in seconds"),
    duration: z.number().gt(0).optional().describe("Length in seconds"),
  },
  oneOf: ["end", "duration"],
  async execute(input, ctx) {
    const video = await loadVideo(input.video, ctx);
    const { start } = input;
    const length = input.duration ?? (input.end as number) - start;
    if (length <= 0) throw new ToolError("the end must come after the start");
    return withVideoFile(video.data, async (file, dir) => {
      const facts = await probe(file, ctx.signal);
      if (start >= facts.duration) throw new ToolError(`${video.id} is only ${facts.duration} s long`);
      const out = path.join(dir, "clip.mp4");
      // Re-encoded rather than stream-copied: a copy can only cut at keyframes (4.16 s for 4 s).
      await ffmpeg(
        [
          "-ss",
          seconds(start),
          "-i",
          file,
          "-t",
          seconds(length),
          "-c:v",
          "libx264",
          "-preset",
          "veryfast",
          "-crf",
          "20",
          "-pix_fmt",
          "yuv420p",
          "-c:a",
          "aac",
          "-movflags",
          "+faststart",
          out,
        ],
        ctx.signal,
      );
      const clip = await probe(out, ctx.signal);
      const meta = await ctx.artifacts.put(
        await readBytes(out),
        "video/mp4",
        `${video.id}-${seconds(start)}-${seconds(start + length)}.mp4`,
      );
      return {
        summary: `trimmed ${video.id} from ${start}s for ${clip.duration}s → ${meta.id}`,
        data: { video: meta.id, start, duration: clip.duration, width: clip.width, height: clip.height },
        artifacts: [meta],
      };
    });
  },
});
