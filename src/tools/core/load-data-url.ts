import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import { type Tool, ToolError } from "../tool.js";
import { parseDataUrl } from "./data-url.js";

export const loadDataUrl: Tool = {
  name: "load_data_url",
  description: "Store the file in a data: URL (base64 or text) as an artifact, returning its id.",
  toolset: Toolset.CORE,
  parameters: {
    type: "object",
    properties: { url: { type: "string", pattern: "^data:" }, filename: { type: "string", maxLength: 200 } },
    required: ["url"],
    additionalProperties: false,
  },
  async execute(args, ctx) {
    const parsed = parseDataUrl(args.url as string);
    if (!parsed) throw new ToolError("not a data: URL (remote http(s) URLs are not fetched by this tool)");
    const meta = await ctx.artifacts.put(
      new Uint8Array(parsed.data),
      parsed.mediaType,
      (args.filename as string) ?? "",
    );
    return {
      summary: `stored ${parsed.data.byteLength} bytes of ${parsed.mediaType} as ${meta.id}`,
      data: { id: meta.id, content_type: parsed.mediaType, bytes: parsed.data.byteLength },
      artifacts: [meta],
    };
  },
};
