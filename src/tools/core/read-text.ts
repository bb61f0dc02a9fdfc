import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { ToolError } from "../../errors.js";
import { isTextual } from "../../media/part-bytes.js";
import { artifactArg } from "../artifact-arg.js";
import type { Tool } from "../tool.js";
import { htmlToText } from "./html-text.js";

const MAX_CHARS = 100_000;

export const readText: Tool = {
  name: "read_text",
  description: "Read the text of a text file artifact (txt, md, csv, json, html as plain text).",
  toolset: Toolset.CORE,
  needs: ["document"],
  parameters: {
    type: "object",
    properties: { file: { type: "string", pattern: "^doc_[0-9a-f]{6}" } },
    required: ["file"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const found = await artifactArg(args.file, ctx, "file");
    const type = found.meta.contentType;
    if (!isTextual(type)) throw new ToolError(`${args.file} is ${type}, not a text file`);
    let text = new TextDecoder("utf-8", { fatal: false }).decode(found.data);
    if (type === "text/html") text = htmlToText(text);
    const truncated = text.length > MAX_CHARS;
    return {
      summary: `read ${Math.min(text.length, MAX_CHARS)} characters from ${args.file}${truncated ? " (truncated)" : ""}`,
      data: { file: args.file as string, text: text.slice(0, MAX_CHARS), truncated },
      artifacts: [],
    };
  },
};
