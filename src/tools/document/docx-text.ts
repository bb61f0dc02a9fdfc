import mammoth from "mammoth";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import type { Tool } from "../tool.js";
import { DOCX_TYPE, FILE_REF, loadFile } from "./document-input.js";

const MAX_CHARS = 200_000;

export const docxText: Tool = {
  name: "docx_text",
  description: "Extract the text of a Word document (.docx), paragraph by paragraph.",
  toolset: Toolset.DOCUMENT,
  needs: ["document"],
  parameters: {
    type: "object",
    properties: { file: FILE_REF },
    required: ["file"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const file = await loadFile(args.file, ctx, [DOCX_TYPE]);
    let text: string;
    try {
      text = (await mammoth.extractRawText({ buffer: Buffer.from(file.data) })).value;
    } catch (error) {
      throw new ToolError(`${file.id} could not be read as a .docx: ${(error as Error).message}`);
    }
    text = text.replace(/\n{3,}/g, "\n\n").trim();
    const truncated = text.length > MAX_CHARS;
    return {
      summary: `read ${Math.min(text.length, MAX_CHARS)} characters from ${file.id}${truncated ? " (truncated)" : ""}`,
      data: { file: file.id, text: text.slice(0, MAX_CHARS), truncated },
      artifacts: [],
    };
  },
};
