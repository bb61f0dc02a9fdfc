import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { pictureOrPage } from "../inputs.js";
import { defineTool } from "../tool.js";
import { pictureOf } from "./document-input.js";
import { recognize } from "./ocr-engine.js";

export const ocr = defineTool({
  name: "ocr",
  description:
    "Read the text in an image, or in a page of a scanned PDF (OCR): the text, plus each line and word with its box as normalised [x, y, w, h] and a confidence from 0 to 1.",
  toolset: Toolset.DOCUMENT,
  needs: ["image", "document"],
  heavy: true,
  input: pictureOrPage(),
  async execute(input, ctx) {
    const picture = await pictureOf(input, ctx);
    ctx.progress(`reading text in ${picture.source}`);
    const result = await recognize(picture.bytes, ctx.signal);
    const lines = result.blocks.flatMap((b) => b.lines);
    return {
      summary: `read ${lines.length} line${lines.length === 1 ? "" : "s"} of text in ${picture.source} (confidence ${result.confidence.toFixed(2)})`,
      data: {
        source: picture.source,
        text: result.text,
        confidence: result.confidence,
        lines: lines.map((l) => ({ text: l.text, xywh: l.xywh, confidence: l.confidence, words: l.words })),
      },
      artifacts: [],
    };
  },
});
