import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import type { ProviderConfig } from "../../config.js";
import { ToolError } from "../../errors.js";
import { imageArtifact } from "../image/image-input.js";
import { imageRef } from "../inputs.js";
import { type AnyTool, defineTool } from "../tool.js";
import { callProvider, mediaOf } from "./provider-http.js";
import { type ProviderSpec, toolHead } from "./provider-spec.js";

export interface JobSpec extends ProviderSpec {
  task: "image.generate" | "video.generate";
}

const Job = z.object({
  id: z.string().min(1),
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
  progress: z.number().min(0).max(1).optional(),
  result: z.object({ media_type: z.string().min(1), data_base64: z.string().min(1) }).optional(),
  error: z.object({ message: z.string() }).optional(),
});

/**
 * A long-running generation provider: POST {url}/v1/jobs starts a job, GET {url}/v1/jobs/{id} is
 * polled (backing off to 2 s) until it succeeds or fails, and a cancelled request cancels the job
 * with DELETE {url}/v1/jobs/{id}.
 */
export function jobTool(spec: JobSpec, config: ProviderConfig): AnyTool {
  const call = (signal: AbortSignal) => ({ provider: spec.id, config, signal });
  const parse = (raw: unknown) => {
    const job = Job.safeParse(raw);
    if (!job.success) throw new ToolError(`${spec.id} answered with a job in an unexpected shape`);
    return job.data;
  };
  return defineTool({
    ...toolHead(spec, config.jobTimeoutMs),
    input: {
      prompt: z.string().min(1).max(20_000),
      image: imageRef("An image to edit or to start from").optional(),
      ...(spec.task === "video.generate"
        ? { duration_seconds: z.number().min(1).max(60).optional() }
        : {
            width: z.number().int().min(64).max(4096).optional(),
            height: z.number().int().min(64).max(4096).optional(),
          }),
    },
    async execute(input, ctx) {
      const { prompt, image, ...params } = input;
      const source = image === undefined ? undefined : mediaOf(await imageArtifact(image, ctx));
      let job = parse(
        await callProvider(call(ctx.signal), "POST", "/v1/jobs", {
          task: spec.task,
          prompt,
          ...(source ? { image: source } : {}),
          params,
        }),
      );
      try {
        for (
          let wait = 250;
          job.status === "queued" || job.status === "running";
          wait = Math.min(wait * 2, 2_000)
        ) {
          ctx.progress(
            `${spec.id}: ${job.status}${job.progress !== undefined ? ` ${Math.round(job.progress * 100)}%` : ""}`,
          );
          await sleep(wait, undefined, { signal: ctx.signal });
          job = parse(await callProvider(call(ctx.signal), "GET", `/v1/jobs/${encodeURIComponent(job.id)}`));
        }
      } catch (error) {
        if (ctx.signal.aborted) {
          // Best effort, on its own short clock: the request is gone, but the job should not run on.
          await callProvider(
            call(AbortSignal.timeout(5_000)),
            "DELETE",
            `/v1/jobs/${encodeURIComponent(job.id)}`,
          ).catch(() => undefined);
          throw ctx.signal.reason;
        }
        throw error;
      }
      if (job.status !== "succeeded" || !job.result) {
        throw new ToolError(
          `${spec.id} job ${job.id} ${job.status}${job.error ? `: ${job.error.message}` : ""}`,
        );
      }
      const bytes = Buffer.from(job.result.data_base64, "base64");
      const kind = spec.task === "video.generate" ? "video" : "image";
      const meta = await ctx.artifacts.put(
        new Uint8Array(bytes),
        job.result.media_type,
        `${spec.id}-${job.id}`,
      );
      return {
        summary: `${spec.id} generated ${kind === "video" ? "a video" : "an image"} → ${meta.id}`,
        data: { [kind]: meta.id, job: job.id, provider: spec.id },
        artifacts: [meta],
      };
    },
  });
}
