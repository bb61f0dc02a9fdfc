import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import { fileRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { DOCX_TYPE, loadFile } from "./document-input.js";

const MAX_CHARS = 200_000;

export const docxText = defineTool({
  name: "docx_text",
  description: "Extract the text of a Word document (.docx), paragraph by paragraph.",
  toolset: Toolset.DOCUMENT,
  needs: ["document"],
  input: { file: fileRef() },
  async execute(input, ctx) {
    const file = await loadFile(input.file, ctx, [DOCX_TYPE]);
    let text: string;
    try {
      const { default: mammoth } = await import("mammoth"); // loaded on first use: ~40 ms of start-up
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
});
