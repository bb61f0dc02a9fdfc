import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SETTINGS, type VideoBinaries } from "../config.js";
import { ToolError } from "../errors.js";

let binaries: VideoBinaries = {
  ffmpeg: SETTINGS.ORION_FFMPEG.default,
  ffprobe: SETTINGS.ORION_FFPROBE.default,
};

/** The binaries to run (ORION_FFMPEG, ORION_FFPROBE); set once at start-up, before the first probe. */
export function configureVideoBinaries(configured: VideoBinaries): void {
  binaries = configured;
}

/** The longest any one ffmpeg run may take; the tool runner's own timeout still applies above it. */
const RUN_TIMEOUT_MS = 120_000;

/**
 * Runs ffmpeg or ffprobe with an argument array (no shell, so no injection), bounded in time and
 * output, killed when the request is cancelled. Resolves with stdout and stderr.
 */
function run(
  binary: string,
  args: string[],
  signal: AbortSignal,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      { signal, timeout: RUN_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
          return reject(
            new ToolError(
              `${binary} is not installed on this server (Debian: apt-get install ffmpeg); video tools need it`,
            ),
          );
        }
        if (signal.aborted) return reject(signal.reason);
        const last = stderr.trim().split("\n").slice(-2).join(" ").slice(0, 300);
        reject(new ToolError(`${path.basename(binary)} failed: ${last || error.message}`));
      },
    );
  });
}

/**
 * Whether ffmpeg and ffprobe run here: undefined when both do, else why not (naming the setting).
 * Asked once per process (the binaries are fixed at start), so tool listings never promise video
 * tools that cannot run, and every server built in this process shares the answer.
 */
export function missingVideoBinaries(): Promise<string | undefined> {
  probed ??= probeVideoBinaries();
  return probed;
}

let probed: Promise<string | undefined> | undefined;

async function probeVideoBinaries(): Promise<string | undefined> {
  const signal = AbortSignal.timeout(5_000);
  for (const [binary, setting] of [
    [binaries.ffmpeg, "ORION_FFMPEG"],
    [binaries.ffprobe, "ORION_FFPROBE"],
  ] as const) {
    try {
      await run(binary, ["-version"], signal);
    } catch {
      return `${binary} does not run here: install ffmpeg (Debian: apt-get install ffmpeg) or set ${setting}`;
    }
  }
  return undefined;
}

export const ffmpeg = (args: string[], signal: AbortSignal) =>
  run(binaries.ffmpeg, ["-hide_banner", "-nostdin", "-y", ...args], signal);
export const ffprobe = (args: string[], signal: AbortSignal) =>
  run(binaries.ffprobe, ["-v", "error", ...args], signal);

/**
 * A private temporary folder holding the input video for the length of one tool call: ffmpeg
 * seeks, which needs a file rather than a pipe.
 */
export async function withVideoFile<T>(
  bytes: Uint8Array,
  use: (input: string, dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), "orion-video-"));
  try {
    const input = path.join(dir, "input");
    await writeFile(input, bytes);
    return await use(input, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface VideoFacts {
  duration: number;
  width: number;
  height: number;
  fps: number;
  video_codec: string;
  audio_codec: string | null;
  frames: number | null;
  bit_rate: number | null;
  format: string;
}

function rate(value: string | undefined): number {
  const [n, d] = (value ?? "0/1").split("/").map(Number);
  return d ? Math.round(((n ?? 0) / d) * 1000) / 1000 : 0;
}

export async function probe(input: string, signal: AbortSignal): Promise<VideoFacts> {
  const { stdout } = await ffprobe(["-print_format", "json", "-show_format", "-show_streams", input], signal);
  const info = JSON.parse(stdout) as {
    format?: { duration?: string; format_name?: string; bit_rate?: string };
    streams?: {
      codec_type?: string;
      codec_name?: string;
      width?: number;
      height?: number;
      avg_frame_rate?: string;
      nb_frames?: string;
      duration?: string;
    }[];
  };
  const video = info.streams?.find((s) => s.codec_type === "video");
  if (!video) throw new ToolError("the file has no video stream");
  const audio = info.streams?.find((s) => s.codec_type === "audio");
  return {
    duration: Math.round(Number(info.format?.duration ?? video.duration ?? 0) * 1000) / 1000,
    width: video.width ?? 0,
    height: video.height ?? 0,
    fps: rate(video.avg_frame_rate),
    video_codec: video.codec_name ?? "unknown",
    audio_codec: audio?.codec_name ?? null,
    frames: video.nb_frames ? Number(video.nb_frames) : null,
    bit_rate: info.format?.bit_rate ? Number(info.format.bit_rate) : null,
    format: info.format?.format_name ?? "unknown",
  };
}

export const readBytes = async (file: string) => new Uint8Array(await readFile(file));

/** The first frame of a video as PNG bytes (for previews). */
export async function firstFrame(bytes: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
  return withVideoFile(bytes, async (input, dir) => {
    const out = path.join(dir, "first.png");
    await ffmpeg(["-i", input, "-frames:v", "1", "-vf", "scale=512:-2", out], signal);
    return readBytes(out);
  });
}
