import { z } from "zod";
import { Model, Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { ProviderConfig } from "../../config.js";
import { wireNames } from "../../wire/names.js";
import { boxes, imageId } from "../inputs.js";
import type { UnavailableTool } from "../registry.js";
import type { AnyTool } from "../tool.js";
import { type InferSpec, inferTool } from "./infer.js";
import { type JobSpec, jobTool } from "./jobs.js";
import { type VisionChatSpec, visionChatTool } from "./vision-chat.js";

type Entry =
  | ({ protocol: "openai-chat" } & Omit<VisionChatSpec, "id">)
  | ({ protocol: "infer" } & Omit<InferSpec, "id">)
  | ({ protocol: "jobs" } & Omit<JobSpec, "id">);

const POINTS = z
  .array(z.array(z.number()).length(3))
  .max(64)
  .describe("Prompt points as normalised [x, y, label] (label 1 = inside the object, 0 = outside)");

/**
 * The 12 tool providers: which protocol each speaks (docs/providers.md) and the tool it adds.
 * Where a local tool does a similar job, its description says so; the provider is never faked.
 */
export const CATALOG: Entry[] = [
  {
    protocol: "openai-chat",
    provider: Model.GOOGLE_GEMINI_3_ANALYSIS,
    tool: "gemini_analyze",
    toolset: Toolset.IMAGE,
    needs: ["image", "video"],
    video: true,
    description:
      "Ask Gemini 3 about images or a video: description, reading, counting, comparison. Answers in text.",
  },
  {
    protocol: "openai-chat",
    provider: Model.GOOGLE_GEMINI_ROBOTICS_ER,
    tool: "gemini_robotics_er",
    toolset: Toolset.IMAGE,
    needs: ["image", "video"],
    video: true,
    description:
      "Embodied spatial reasoning with Gemini Robotics-ER: point to objects, give boxes or trajectories, reason about what a robot can grasp. Ask for JSON to get coordinates.",
  },
  {
    protocol: "openai-chat",
    provider: Model.NVIDIA_COSMOS_REASON_2_8B,
    tool: "cosmos_reason",
    toolset: Toolset.VIDEO,
    needs: ["image", "video"],
    video: true,
    description: "Physical and temporal reasoning over a video or images with NVIDIA Cosmos-Reason 2 (8B).",
  },
  {
    protocol: "openai-chat",
    provider: Model.QWEN_QWEN3_VL_8B,
    tool: "qwen3_vl",
    toolset: Toolset.IMAGE,
    needs: ["image", "video"],
    video: true,
    description: "Ask Qwen3-VL (8B) about images or a video: description, grounding, charts, documents.",
  },
  {
    protocol: "openai-chat",
    provider: Model.VLM_DOTS_OCR,
    tool: "dots_ocr",
    toolset: Toolset.DOCUMENT,
    needs: ["image"],
    video: false,
    defaultPrompt:
      "Extract all text from the document image in reading order, as Markdown; tables as Markdown tables.",
    description:
      "Document OCR and layout with dots.ocr (tables and formulas as Markdown). The local `ocr` tool reads plain printed text without a provider.",
  },
  {
    protocol: "jobs",
    provider: Model.GOOGLE_GEMINI_3_IMAGE,
    tool: "gemini_image",
    toolset: Toolset.IMAGE_GEN,
    needs: ["none"],
    task: "image.generate",
    description:
      "Generate an image from a prompt, or edit a given image as the prompt says, with Gemini 3 Image.",
  },
  {
    protocol: "jobs",
    provider: Model.GOOGLE_VEO_3_1,
    tool: "veo_video",
    toolset: Toolset.VIDEO,
    needs: ["none"],
    task: "video.generate",
    description:
      "Generate a video clip from a prompt (optionally starting from an image) with Veo 3.1. Takes minutes.",
  },
  {
    protocol: "infer",
    provider: Model.META_SAM2,
    tool: "sam2_segment",
    toolset: Toolset.IMAGE,
    needs: ["image"],
    task: "segment",
    params: { points: POINTS.optional(), boxes: boxes().optional() },
    description: "Segment objects with SAM 2 from prompt points or boxes: one mask image per object.",
  },
  {
    protocol: "infer",
    provider: Model.META_SAM3,
    tool: "sam3_segment",
    toolset: Toolset.IMAGE,
    needs: ["image"],
    task: "segment",
    params: { prompt: z.string().min(1).max(500).describe('A concept, e.g. "yellow school bus"') },
    description:
      "Segment every instance of a concept named in words with SAM 3: one mask image per instance.",
  },
  {
    protocol: "infer",
    provider: Model.META_SAM3D,
    tool: "sam3d_reconstruct",
    toolset: Toolset.WORLD_GEN,
    needs: ["image"],
    task: "reconstruct",
    params: { mask: imageId("Optional mask of the object to lift").optional() },
    description:
      "Reconstruct an object or scene in 3-D from one image with SAM 3D: a glTF (.glb) mesh artifact.",
  },
  {
    protocol: "infer",
    provider: Model.DEPTH_ANYTHING_3,
    tool: "depth_estimate",
    toolset: Toolset.WORLD_GEN,
    needs: ["image"],
    task: "depth",
    params: {},
    description:
      "Estimate per-pixel depth from one image with Depth Anything 3: a 16-bit depth image and its range.",
  },
  {
    protocol: "infer",
    provider: Model.MICROSOFT_OMNIPARSER_V2,
    tool: "omniparser_parse_ui",
    toolset: Toolset.IMAGE,
    needs: ["image"],
    task: "parse_ui",
    params: {},
    description:
      "Parse a screenshot into interface elements with OmniParser v2: type, text, box and whether it is interactable.",
  },
];

/** The tools of the providers that are not configured, with the variable that enables each. */
export function unconfiguredProviderTools(providers: Map<Model, ProviderConfig>): UnavailableTool[] {
  return CATALOG.filter((e) => !providers.get(e.provider)?.url).map((e) => ({
    name: e.tool,
    description: e.description,
    toolset: e.toolset,
    needs: e.needs,
    provider: e.provider,
    reason: `set ${providers.get(e.provider)?.urlSetting ?? "the provider's URL"}`,
  }));
}

/** The tools of every configured provider (those whose ORION_MODEL_<NAME>_URL is set). */
export function providerTools(providers: Map<Model, ProviderConfig>): AnyTool[] {
  const tools: AnyTool[] = [];
  for (const entry of CATALOG) {
    const config = providers.get(entry.provider);
    if (!config?.url) continue;
    const id = wireNames.model.toWire(entry.provider) ?? String(entry.provider);
    if (entry.protocol === "openai-chat") tools.push(visionChatTool({ ...entry, id }, config));
    else if (entry.protocol === "infer") tools.push(inferTool({ ...entry, id }, config));
    else tools.push(jobTool({ ...entry, id }, config));
  }
  return tools;
}
