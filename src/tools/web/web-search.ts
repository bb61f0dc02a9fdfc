import { z } from "zod";
import { Toolset } from "../../../gen/vlmrun/agent/v1/enums_pb.js";
import type { SearchConfig } from "../../config.js";
import { ToolError } from "../../errors.js";
import { callProvider } from "../providers/provider-http.js";
import { type AnyTool, defineTool, type Tool } from "../tool.js";

const Answer = z.object({
  results: z.array(
    z.object({ title: z.string().optional(), url: z.string(), content: z.string().optional() }),
  ),
});

/**
 * Web search through a configured search endpoint speaking SearXNG's JSON API
 * (`GET {url}/search?q=…&format=json`). Without ORION_SEARCH_URL the tool is not offered.
 */
export const webSearchInfo: Pick<Tool, "name" | "description" | "toolset" | "needs"> = {
  name: "web_search",
  description: "Search the web: the top results' titles, URLs and snippets. Use fetch_page to read a result.",
  toolset: Toolset.WEB,
  needs: ["none"],
};

export function webSearch(config: SearchConfig): AnyTool {
  return defineTool({
    ...webSearchInfo,
    input: { query: z.string().min(1).max(500), count: z.number().int().min(1).max(20).default(5) },
    async execute(input, ctx) {
      const query = new URLSearchParams({ q: input.query, format: "json" });
      const body = await callProvider(
        { provider: "the search endpoint", config, signal: ctx.signal },
        "GET",
        `/search?${query}`,
      );
      const parsed = Answer.safeParse(body);
      if (!parsed.success)
        throw new ToolError("the search endpoint's answer is not SearXNG JSON (results[])");
      const results = parsed.data.results.slice(0, input.count).map((r) => ({
        title: r.title ?? "",
        url: r.url,
        snippet: r.content ?? "",
      }));
      return {
        summary: `${results.length} result${results.length === 1 ? "" : "s"} for "${input.query}"`,
        data: { query: input.query, results },
        artifacts: [],
      };
    },
  });
}
