import { ToolError } from "../../errors.js";
import { artifactArg } from "../artifact-arg.js";
import { imageArtifact } from "../image/image-input.js";
import type { ToolContext } from "../tool.js";
import { pdfJob } from "./pdf.js";

export const PDF_TYPE = "application/pdf";
export const DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/** A stored artifact of one of the given types, or a ToolError the model can act on. */
export async function loadFile(ref: string, ctx: ToolContext, types: string[]) {
  const found = await artifactArg(ref, ctx, "file");
  if (!types.includes(found.meta.contentType)) {
    throw new ToolError(`${found.id} is ${found.meta.contentType}; this tool reads ${types.join(" or ")}`);
  }
  return found;
}

/** PDF work that fails on a damaged or encrypted file becomes the tool's own error. */
export async function onPdf<T>(id: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ToolError(`${id} could not be read as a PDF: ${(error as Error).message}`);
  }
}

/**
 * The picture to read text from: an image artifact as it is, or a PDF page rendered at 2×
 * (about 144 dpi, what OCR reads best).
 */
export async function pictureOf(args: { image?: string; file?: string; page?: number }, ctx: ToolContext) {
  if (args.image !== undefined) {
    const found = await imageArtifact(args.image, ctx);
    if (!found.meta.contentType.startsWith("image/")) throw new ToolError(`${found.id} is not an image`);
    return { source: found.id, bytes: found.data };
  }
  if (args.file !== undefined) {
    const file = await loadFile(args.file, ctx, [PDF_TYPE]);
    const page = args.page ?? 1;
    const rendered = await onPdf(file.id, () =>
      pdfJob("render", { bytes: file.data, page, scale: 2 }, ctx.signal),
    );
    return { source: `${file.id} page ${page}`, bytes: rendered.png };
  }
  throw new ToolError("give an image, or a PDF file and a page");
}
