import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { fileRef, page } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadFile, onPdf, PDF_TYPE } from "./document-input.js";
import { pdfJob } from "./pdf.js";

export const pdfRender = defineTool({
  name: "pdf_render",
  description:
    "Render a PDF page to a PNG image (scale 2 = 144 dpi, good for reading and OCR); returns the new image artifact.",
  toolset: Toolset.DOCUMENT,
  needs: ["document"],
  heavy: true,
  input: {
    file: fileRef(),
    page: page().default(1),
    scale: z.number().min(0.1).max(6).default(2).describe("1 = 72 dpi"),
  },
  async execute(input, ctx) {
    const file = await loadFile(input.file, ctx, [PDF_TYPE]);
    const { page, scale } = input;
    const out = await onPdf(file.id, () => pdfJob("render", { bytes: file.data, page, scale }, ctx.signal));
    const meta = await ctx.artifacts.put(out.png, "image/png", `${file.id}-page-${page}.png`);
    return {
      summary: `rendered page ${page} of ${file.id} at ${out.width}×${out.height} → ${meta.id}`,
      data: { image: meta.id, page, width: out.width, height: out.height },
      artifacts: [meta],
    };
  },
});
