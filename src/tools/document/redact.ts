import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import { imageArtifact } from "../image/image-input.js";
import { applyToRegions } from "../image/regions.js";
import { boxes, fileRef, imageRef } from "../inputs.js";
import { defineTool, type ToolResult } from "../tool.js";
import { loadFile, onPdf, PDF_TYPE } from "./document-input.js";
import { findPhrase, pad } from "./find-words.js";
import { recognize } from "./ocr-engine.js";
import { pdfJob } from "./pdf.js";

export const redact = defineTool({
  name: "redact",
  description:
    "Redact text or regions: black boxes over every occurrence of the given texts (found by OCR in an image, in the text layer of a PDF) and over the given boxes. Returns a new image, or a new PDF whose pages are flattened images, so the redacted text cannot be copied out.",
  toolset: Toolset.DOCUMENT,
  needs: ["image", "document"],
  input: {
    image: imageRef().optional(),
    file: fileRef("A PDF artifact id").optional(),
    texts: z
      .array(z.string().min(1).max(500))
      .max(100)
      .default([])
      .describe("Words or phrases to black out wherever they occur"),
    boxes: boxes("Regions to black out, normalised [x, y, w, h]").default([]),
    page: z.number().int().min(1).default(1).describe("For a PDF: the page the boxes are on"),
  },
  oneOf: ["image", "file"],
  async execute(input, ctx): Promise<ToolResult> {
    const { texts, boxes } = input;
    if (texts.length === 0 && boxes.length === 0) throw new ToolError("give texts to find, boxes, or both");

    if (input.file !== undefined) {
      const file = await loadFile(input.file, ctx, [PDF_TYPE]);
      const { page } = input;
      const out = await onPdf(file.id, () =>
        pdfJob(
          "redact",
          { bytes: file.data, texts, regions: boxes.map((xywh) => ({ page, xywh })), scale: 2 },
          ctx.signal,
        ),
      );
      const meta = await ctx.artifacts.put(out.pdf, PDF_TYPE, `${file.id}-redacted.pdf`);
      return {
        summary: `redacted ${out.textMatches} text match${out.textMatches === 1 ? "" : "es"} and ${boxes.length} box${boxes.length === 1 ? "" : "es"} in ${file.id} → ${meta.id}`,
        data: { file: meta.id, pages: out.pages, text_matches: out.textMatches, boxes: boxes.length },
        artifacts: [meta],
      };
    }

    const found = await imageArtifact(input.image as string, ctx);
    const id = found.id;
    const regions = [...boxes];
    const notFound: string[] = [];
    if (texts.length > 0) {
      ctx.progress(`finding the text to redact in ${id}`);
      const lines = (await recognize(found.data, ctx.signal)).blocks.flatMap((b) => b.lines);
      for (const text of texts) {
        const hits = findPhrase(lines, text);
        if (hits.length === 0) notFound.push(text);
        regions.push(...hits.map((b) => pad(b)));
      }
    }
    const out = await applyToRegions(found.data, regions, "fill");
    const meta = await ctx.artifacts.put(out.png, "image/png", `${id}-redacted.png`);
    return {
      summary: `redacted ${out.applied} region${out.applied === 1 ? "" : "s"} of ${id} → ${meta.id}${notFound.length > 0 ? `; not found: ${notFound.join(", ")}` : ""}`,
      data: { image: meta.id, regions: regions, not_found: notFound },
      artifacts: [meta],
    };
  },
});
