import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { fileRef, page } from "../inputs.js";
import { defineTool } from "../tool.js";
import { loadFile, onPdf, PDF_TYPE } from "./document-input.js";
import { pdfJob } from "./pdf.js";

const MAX_CHARS = 200_000;

export const pdfText = defineTool({
  name: "pdf_text",
  description:
    "Extract the text of a PDF, page by page (all pages, or the pages given). Pages that are scanned images have no text: use ocr on them.",
  toolset: Toolset.DOCUMENT,
  needs: ["document"],
  input: { file: fileRef(), pages: z.array(page()).max(1000).optional() },
  async execute(input, ctx) {
    const file = await loadFile(input.file, ctx, [PDF_TYPE]);
    const { pages } = input;
    const out = await onPdf(file.id, () => pdfJob("text", { bytes: file.data, pages }, ctx.signal));
    let budget = MAX_CHARS;
    const text = out.text.map((p) => {
      const kept = p.text.slice(0, Math.max(0, budget));
      budget -= kept.length;
      return { page: p.page, text: kept, ...(kept.length < p.text.length ? { truncated: true } : {}) };
    });
    const chars = text.reduce((n, p) => n + p.text.length, 0);
    const empty = text.filter((p) => p.text === "").map((p) => p.page);
    return {
      summary: `read ${chars} characters from ${text.length} page${text.length === 1 ? "" : "s"} of ${file.id}${empty.length > 0 ? ` (no text on page ${empty.join(", ")}: scanned, use ocr)` : ""}`,
      data: {
        file: file.id,
        pages: out.pages,
        text: text
          .map((p) => p.text)
          .filter((t) => t !== "")
          .join("\n\n"),
        by_page: text,
      },
      artifacts: [],
    };
  },
});
