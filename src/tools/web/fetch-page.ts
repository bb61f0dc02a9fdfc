import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { FetchPolicy } from "../../config.js";
import { ToolError } from "../../errors.js";
import { FetchRefused, guardedFetch } from "../../media/guarded-fetch.js";
import { htmlTitle, htmlToText } from "../core/html-text.js";
import { type AnyTool, defineTool } from "../tool.js";

const MAX_CHARS = 100_000;

/** Fetches a web page through the URL guard and returns its readable text. */
export function fetchPage(policy: FetchPolicy): AnyTool {
  return defineTool({
    name: "fetch_page",
    description:
      "Fetch a web page (http or https) and return its title and readable text, without scripts, menus or footers. Private and internal addresses are refused.",
    toolset: Toolset.WEB,
    needs: ["none"],
    input: {
      url: z
        .string()
        .regex(/^https?:\/\//)
        .max(4096),
    },
    async execute(input, ctx) {
      const { url } = input;
      let fetched: Awaited<ReturnType<typeof guardedFetch>>;
      try {
        fetched = await guardedFetch(url, policy, ctx.signal);
      } catch (error) {
        if (error instanceof FetchRefused) throw new ToolError(`cannot fetch ${url}: ${error.message}`);
        throw error;
      }
      const type = fetched.contentType.split(";")[0]?.trim().toLowerCase() ?? "";
      const raw = fetched.data.toString("utf8");
      let text: string;
      let title: string | undefined;
      if (type === "text/html" || type === "application/xhtml+xml") {
        text = htmlToText(raw);
        title = htmlTitle(raw);
      } else if (type.startsWith("text/") || type === "application/json") {
        text = raw.trim();
      } else {
        throw new ToolError(
          `${url} is ${type || "of unknown type"}, not a web page: use load_url to keep it as a file`,
        );
      }
      const truncated = text.length > MAX_CHARS;
      return {
        summary: `read ${Math.min(text.length, MAX_CHARS)} characters from ${fetched.url}${title ? ` ("${title}")` : ""}`,
        data: { url: fetched.url, title: title ?? null, text: text.slice(0, MAX_CHARS), truncated },
        artifacts: [],
      };
    },
  });
}
