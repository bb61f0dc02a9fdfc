import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { Tool } from "../tool.js";
import { FILE_REF, loadFile, onPdf, PAGE, PDF_TYPE } from "./document-input.js";
import { pdfJob } from "./pdf.js";

export const pdfRender: Tool = {
  name: "pdf_render",
  description:
    "Render a PDF page to a PNG image (scale 2 = 144 dpi, good for reading and OCR); returns the new image artifact.",
  toolset: Toolset.DOCUMENT,
  needs: ["document"],
  parameters: {
    type: "object",
    properties: {
      file: FILE_REF,
      page: PAGE,
      scale: { type: "number", minimum: 0.1, maximum: 6, description: "1 = 72 dpi (default 2)" },
    },
    required: ["file"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const file = await loadFile(args.file, ctx, [PDF_TYPE]);
    const page = (args.page as number | undefined) ?? 1;
    const scale = (args.scale as number | undefined) ?? 2;
    const out = await onPdf(file.id, () => pdfJob("render", { bytes: file.data, page, scale }, ctx.signal));
    const meta = await ctx.artifacts.put(out.png, "image/png", `${file.id}-page-${page}.png`);
    return {
      summary: `rendered page ${page} of ${file.id} at ${out.width}×${out.height} → ${meta.id}`,
      data: { image: meta.id, page, width: out.width, height: out.height },
      artifacts: [meta],
    };
  },
};
