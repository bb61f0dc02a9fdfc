import type { JsonValue } from "@bufbuild/protobuf";
import { z } from "zod";
import type { ArtifactMeta } from "../../artifacts/artifacts.js";
import type { ProviderConfig } from "../../config.js";
import { ToolError } from "../../errors.js";
import { imageArtifact } from "../image/image-input.js";
import { imageRef } from "../inputs.js";
import { type AnyTool, defineTool, type ToolContext } from "../tool.js";
import { callProvider, mediaOf } from "./provider-http.js";
import { type ProviderSpec, toolHead } from "./provider-spec.js";

/** The tasks of the JSON inference contract (docs/providers.md). */
export type InferTask = "segment" | "depth" | "reconstruct" | "parse_ui";

const Box = z.array(z.number()).length(4);
const Media = z.object({ media_type: z.string().min(1), data_base64: z.string() });
const Answers = {
  segment: z.object({
    masks: z.array(
      z.object({
        mask: Media,
        score: z.number().optional(),
        label: z.string().optional(),
        xywh: Box.optional(),
      }),
    ),
  }),
  depth: z.object({
    depth: Media,
    min: z.number().optional(),
    max: z.number().optional(),
    unit: z.string().optional(),
  }),
  reconstruct: z.object({ mesh: Media }),
  parse_ui: z.object({
    elements: z.array(
      z.object({
        type: z.string(),
        text: z.string().optional(),
        xywh: Box,
        interactable: z.boolean().optional(),
      }),
    ),
  }),
};

export interface InferSpec extends ProviderSpec {
  task: InferTask;
  /** Task-specific arguments beyond `image` (sent as they are). */
  params: z.ZodRawShape;
}

async function save(ctx: ToolContext, media: z.infer<typeof Media>, filename: string): Promise<ArtifactMeta> {
  const bytes = Buffer.from(media.data_base64, "base64");
  if (bytes.length === 0) throw new ToolError("the provider sent an empty file");
  return ctx.artifacts.put(new Uint8Array(bytes), media.media_type, filename);
}

/** A provider reached over the small JSON contract: POST {url}/v1/infer with the image and task. */
export function inferTool(spec: InferSpec, config: ProviderConfig): AnyTool {
  return defineTool({
    ...toolHead(spec, config.timeoutMs + 5_000),
    input: { image: imageRef(), ...spec.params },
    async execute(input, ctx) {
      const found = await imageArtifact(input.image, ctx);
      const ref = found.id;
      const { image: _image, ...params }: Record<string, unknown> = input;
      // Artifact ids in the arguments (e.g. a mask) go to the provider as the files themselves.
      for (const [key, value] of Object.entries(params)) {
        if (typeof value !== "string" || !/^img_[0-9a-f]{6}$/.test(value)) continue;
        params[key] = mediaOf(await imageArtifact(value, ctx));
      }
      ctx.progress(`asking ${spec.id}`);
      const raw = await callProvider({ provider: spec.id, config, signal: ctx.signal }, "POST", "/v1/infer", {
        task: spec.task,
        image: mediaOf(found),
        params,
      });
      const parsed = Answers[spec.task].safeParse(raw);
      if (!parsed.success) {
        throw new ToolError(
          `${spec.id} answered "${spec.task}" in an unexpected shape: ${parsed.error.issues[0]?.message ?? ""}`,
        );
      }
      const artifacts: ArtifactMeta[] = [];
      let data: JsonValue;
      let summary: string;
      switch (spec.task) {
        case "segment": {
          const { masks } = parsed.data as z.infer<typeof Answers.segment>;
          const out = [];
          for (const [i, m] of masks.entries()) {
            const meta = await save(ctx, m.mask, `${ref}-mask-${i + 1}.png`);
            artifacts.push(meta);
            out.push({ mask: meta.id, score: m.score ?? null, label: m.label ?? null, xywh: m.xywh ?? null });
          }
          data = { image: ref, masks: out };
          summary = `${spec.id} found ${masks.length} mask${masks.length === 1 ? "" : "s"} in ${ref}`;
          break;
        }
        case "depth": {
          const d = parsed.data as z.infer<typeof Answers.depth>;
          const meta = await save(ctx, d.depth, `${ref}-depth.png`);
          artifacts.push(meta);
          data = { image: ref, depth: meta.id, min: d.min ?? null, max: d.max ?? null, unit: d.unit ?? null };
          summary = `${spec.id} estimated depth for ${ref} → ${meta.id}`;
          break;
        }
        case "reconstruct": {
          const { mesh } = parsed.data as z.infer<typeof Answers.reconstruct>;
          const meta = await save(ctx, mesh, `${ref}-reconstruction.glb`);
          artifacts.push(meta);
          data = { image: ref, reconstruction: meta.id, media_type: mesh.media_type };
          summary = `${spec.id} reconstructed ${ref} in 3-D → ${meta.id}`;
          break;
        }
        case "parse_ui": {
          const { elements } = parsed.data as z.infer<typeof Answers.parse_ui>;
          data = { image: ref, elements: elements as JsonValue };
          summary = `${spec.id} found ${elements.length} interface element${elements.length === 1 ? "" : "s"} in ${ref}`;
          break;
        }
      }
      return { summary, data, artifacts };
    },
  });
}
