import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { fileRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadFile, onPdf, PDF_TYPE } from "./document-input.js";
import { pdfJob } from "./pdf.js";

export const pdfInfo = defineTool({
  name: "pdf_info",
  description:
    "PDF document info: page count, page sizes in points, title, author, and how much text each page has (a page with no text is a scan: render it and use ocr).",
  toolset: Toolset.DOCUMENT,
  needs: ["document"],
  input: { file: fileRef() },
  async execute(input, ctx) {
    const file = await loadFile(input.file, ctx, [PDF_TYPE]);
    const info = await onPdf(file.id, () => pdfJob("info", { bytes: file.data }, ctx.signal));
    const scanned = info.page_sizes.filter((p) => p.characters === 0).map((p) => p.page);
    return {
      summary: `${file.id}: ${info.pages} page${info.pages === 1 ? "" : "s"}${info.title ? `, "${info.title}"` : ""}${scanned.length > 0 ? `; no text on page ${scanned.join(", ")}` : ""}`,
      data: { file: file.id, ...info, pages_without_text: scanned },
      artifacts: [],
    };
  },
});
