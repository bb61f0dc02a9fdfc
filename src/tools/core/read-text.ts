import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import { isTextual } from "../../media/part-bytes.js";
import { artifactArg } from "../artifact-arg.js";
import { fileRef } from "../inputs.js";
import { defineTool } from "../tool.js";
import { htmlToText } from "./html-text.js";

const MAX_CHARS = 100_000;

export const readText = defineTool({
  name: "read_text",
  description: "Read the text of a text file artifact (txt, md, csv, json, html as plain text).",
  toolset: Toolset.CORE,
  needs: ["document"],
  input: { file: fileRef() },
  async execute(input, ctx) {
    const found = await artifactArg(input.file, ctx, "file");
    const type = found.meta.contentType;
    if (!isTextual(type)) throw new ToolError(`${input.file} is ${type}, not a text file`);
    let text = new TextDecoder("utf-8", { fatal: false }).decode(found.data);
    if (type === "text/html") text = htmlToText(text);
    const truncated = text.length > MAX_CHARS;
    return {
      summary: `read ${Math.min(text.length, MAX_CHARS)} characters from ${input.file}${truncated ? " (truncated)" : ""}`,
      data: { file: input.file, text: text.slice(0, MAX_CHARS), truncated },
      artifacts: [],
    };
  },
});
