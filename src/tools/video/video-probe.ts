import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { probe, withVideoFile } from "../../media/ffmpeg.js";
import { videoRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadVideo } from "./video-input.js";

export const videoProbe = defineTool({
  name: "video_probe",
  description:
    "Video info: duration in seconds, width, height, frame rate, codecs, frame count and bit rate.",
  toolset: Toolset.VIDEO,
  needs: ["video"],
  heavy: true,
  input: { video: videoRef() },
  async execute(input, ctx) {
    const video = await loadVideo(input.video, ctx);
    const facts = await withVideoFile(video.data, (file) => probe(file, ctx.signal));
    return {
      summary: `${video.id}: ${facts.duration} s, ${facts.width}×${facts.height} at ${facts.fps} fps, ${facts.video_codec}${facts.audio_codec ? ` + ${facts.audio_codec}` : ", no audio"}`,
      data: { video: video.id, ...facts },
      artifacts: [],
    };
  },
});
