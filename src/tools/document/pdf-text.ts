import type { JsonObject } from "@bufbuild/protobuf";
import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { fileRef, page } from "../inputs.js";
import { type AnyTool, defineTool } from "../tool.js";
import { loadFile, onPdf, PDF_TYPE } from "./document-input.js";
import { pdfJob } from "./pdf.js";
import type { PdfLine } from "./pdf-worker.js";

const MAX_CHARS = 200_000;

type PageText = { page: number; text: string; lines?: PdfLine[] };

/** Keeps at most MAX_CHARS characters over all pages, marking each page that was cut. */
function withinBudget(pages: PageText[]) {
  let budget = MAX_CHARS;
  return pages.map((p) => {
    const kept = p.text.slice(0, Math.max(0, budget));
    budget -= kept.length;
    const cut = kept.length < p.text.length;
    return {
      page: p.page,
      text: kept,
      ...(cut ? { truncated: true } : p.lines ? { lines: p.lines } : {}),
    };
  });
}

/** The arguments of the call that reads on from where this one stopped at the page cap. */
function nextCall(pages: number[] | undefined, read: PageText[], maxPages: number): JsonObject {
  if (pages) return { pages: pages.slice(maxPages, 2 * maxPages) };
  return { first_page: (read.at(-1)?.page ?? 0) + 1 };
}

/**
 * pdf_text reads at most `maxPages` pages a call (ORION_PDF_MAX_PAGES), so a document of
 * thousands of pages cannot hold a PDF worker for the whole tool timeout; its answer says how
 * many were read and the arguments that read on.
 */
/** pdf_text's name, for callers that refer to the tool (its definition is made per page limit). */
export const PDF_TEXT_NAME = "pdf_text";

export function pdfText(maxPages: number): AnyTool {
  return defineTool({
    name: PDF_TEXT_NAME,
    description: `Extract the text of a PDF, page by page (all pages, from first_page on, or the pages given), at most ${maxPages} pages a call. Pages that are scanned images have no text: use ocr on them.`,
    toolset: Toolset.DOCUMENT,
    needs: ["document"],
    input: {
      file: fileRef(),
      pages: z.array(page()).max(1000).optional(),
      first_page: page("1-based page to start from when pages is not given (default 1)").optional(),
      layout: z
        .boolean()
        .optional()
        .describe(
          "Also give each page's lines with their boxes and their words' (normalised [x, y, w, h]), to read forms and tables by position",
        ),
    },
    notBoth: ["pages", "first_page"],
    async execute(input, ctx) {
      const file = await loadFile(input.file, ctx, [PDF_TYPE]);
      const { pages, first_page: firstPage, layout } = input;
      const out = await onPdf(file.id, () =>
        pdfJob("text", { bytes: file.data, pages, firstPage, maxPages, layout }, ctx.signal),
      );
      const text = withinBudget(out.text);
      const chars = text.reduce((n, p) => n + p.text.length, 0);
      const empty = text.filter((p) => p.text === "").map((p) => p.page);
      const next = out.unread > 0 ? nextCall(pages, out.text, maxPages) : undefined;
      const stopped = next
        ? `; stopped at ${maxPages} pages a call with ${out.unread} asked for left unread: call pdf_text again with ${JSON.stringify(next)} for the rest`
        : "";
      return {
        summary: `read ${chars} characters from ${text.length} page${text.length === 1 ? "" : "s"} of ${file.id} (${out.pages} in all)${empty.length > 0 ? ` (no text on page ${empty.join(", ")}: scanned, use ocr)` : ""}${stopped}`,
        data: {
          file: file.id,
          pages: out.pages,
          text: text
            .map((p) => p.text)
            .filter((t) => t !== "")
            .join("\n\n"),
          by_page: text,
          ...(next ? { pages_unread: out.unread, next } : {}),
        },
        artifacts: [],
      };
    },
  });
}
