import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { FetchPolicy } from "../../config.js";
import { ToolError } from "../../errors.js";
import { parseDataUrl } from "../../media/data-url.js";
import { FetchRefused, guardedFetch } from "../../media/guarded-fetch.js";
import { type AnyTool, defineTool } from "../tool.js";

/** Stores a file from a data: URL, or fetched from an http(s) URL through the URL guard. */
export function loadUrl(policy: FetchPolicy): AnyTool {
  return defineTool({
    name: "load_url",
    description: "Load a file from a URL (http(s) or data:) into an artifact, returning its id.",
    toolset: Toolset.CORE,
    needs: ["none"],
    input: {
      url: z.string().regex(/^(data:|https?:\/\/)/),
      filename: z.string().max(200).default(""),
    },
    async execute(input, ctx) {
      const { url } = input;
      let mediaType: string;
      let data: Buffer;
      if (url.startsWith("data:")) {
        const parsed = parseDataUrl(url);
        if (!parsed) throw new ToolError("not a valid data: URL");
        ({ mediaType, data } = parsed);
      } else {
        try {
          const fetched = await guardedFetch(url, policy, ctx.signal);
          mediaType = fetched.contentType;
          data = fetched.data;
        } catch (error) {
          if (error instanceof FetchRefused) throw new ToolError(`cannot load ${url}: ${error.message}`);
          throw error;
        }
      }
      const meta = await ctx.artifacts.put(new Uint8Array(data), mediaType, input.filename);
      return {
        summary: `stored ${data.byteLength} bytes of ${mediaType} as ${meta.id}`,
        data: { id: meta.id, content_type: mediaType, bytes: data.byteLength },
        artifacts: [meta],
      };
    },
  });
}
