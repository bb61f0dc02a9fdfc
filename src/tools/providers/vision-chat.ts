import { z } from "zod";
import type { ProviderConfig } from "../../config.js";
import { ToolError } from "../../errors.js";
import { toDataUrl } from "../../media/data-url.js";
import { imageArtifact } from "../image/image-input.js";
import { imageRef, videoRef } from "../inputs.js";
import { type AnyTool, defineTool } from "../tool.js";
import { loadVideo } from "../video/video-input.js";
import { callProvider } from "./provider-http.js";
import { type ProviderSpec, toolHead } from "./provider-spec.js";

export interface VisionChatSpec extends ProviderSpec {
  /** Used when the model is asked without a prompt (e.g. OCR). */
  defaultPrompt?: string;
  video: boolean;
}

const Reply = z.object({
  model: z.string().optional(),
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable().optional() }) })).min(1),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).partial().optional(),
});

/**
 * A vision-language provider reached over the OpenAI chat protocol (what vLLM, SGLang and
 * Gemini's compatible endpoint serve): images, and video where the model takes it, go as data:
 * URL parts beside the prompt; the answer is the model's text.
 */
export function visionChatTool(spec: VisionChatSpec, config: ProviderConfig): AnyTool {
  return defineTool({
    ...toolHead(spec, config.timeoutMs + 5_000),
    input: {
      prompt: spec.defaultPrompt
        ? z.string().min(1).max(20_000).default(spec.defaultPrompt)
        : z.string().min(1).max(20_000),
      images: z.array(imageRef()).min(1).max(16).optional(),
      ...(spec.video ? { video: videoRef().optional() } : {}),
      max_tokens: z.number().int().min(1).max(32_768).optional(),
    },
    anyOf: spec.video ? ["images", "video"] : ["images"],
    async execute(input, ctx) {
      const content: unknown[] = [{ type: "text", text: input.prompt }];
      for (const ref of input.images ?? []) {
        const found = await imageArtifact(ref, ctx);
        content.push({
          type: "image_url",
          image_url: { url: toDataUrl(found.meta.contentType, found.data) },
        });
      }
      const video = "video" in input ? (input.video as string | undefined) : undefined;
      if (video !== undefined) {
        const found = await loadVideo(video, ctx);
        content.push({
          type: "video_url",
          video_url: { url: toDataUrl(found.meta.contentType, found.data) },
        });
      }
      ctx.progress(`asking ${spec.id}`);
      const raw = await callProvider(
        { provider: spec.id, config, signal: ctx.signal },
        "POST",
        "/chat/completions",
        {
          model: config.model ?? spec.id,
          messages: [{ role: "user", content }],
          temperature: 0,
          ...(input.max_tokens !== undefined ? { max_tokens: input.max_tokens } : {}),
        },
      );
      const reply = Reply.safeParse(raw);
      if (!reply.success)
        throw new ToolError(`${spec.id} answered in a shape that is not an OpenAI chat completion`);
      const text = reply.data.choices[0]?.message.content ?? "";
      return {
        summary: `${spec.id} answered (${text.length} characters)`,
        data: { provider: spec.id, model: reply.data.model ?? config.model ?? spec.id, text },
        artifacts: [],
      };
    },
  });
}
