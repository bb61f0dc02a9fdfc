import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { probe, withVideoFile } from "../../media/ffmpeg.js";
import type { Tool } from "../tool.js";
import { loadVideo, VIDEO_REF } from "./video-input.js";

export const videoProbe: Tool = {
  name: "video_probe",
  description:
    "Video info: duration in seconds, width, height, frame rate, codecs, frame count and bit rate.",
  toolset: Toolset.VIDEO,
  needs: ["video"],
  parameters: {
    type: "object",
    properties: { video: VIDEO_REF },
    required: ["video"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const video = await loadVideo(args.video, ctx);
    const facts = await withVideoFile(video.data, (input) => probe(input, ctx.signal));
    return {
      summary: `${video.id}: ${facts.duration} s, ${facts.width}×${facts.height} at ${facts.fps} fps, ${facts.video_codec}${facts.audio_codec ? ` + ${facts.audio_codec}` : ", no audio"}`,
      data: { video: video.id, ...facts },
      artifacts: [],
    };
  },
};
