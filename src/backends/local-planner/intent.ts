import type { ToolDefinition } from "../../../gen/vlmrun/agent/v1/chat_pb.js";

const STOP = new Set(
  "a an and are as at be by can do does for from give how i image in is it me of on or please show tell that the this to what with you your".split(
    " ",
  ),
);

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 2 && !STOP.has(w))
    .map((w) => w.replace(/(ies|es|s)$/, (m) => (m === "ies" ? "y" : "")));
}

/**
 * Picks the tool whose name and description share the most words with the request (stemmed
 * crudely; the tool's own name counts double). Data-driven: a new tool is routable by its metadata.
 */
export function bestTool(text: string, tools: ToolDefinition[]): ToolDefinition | undefined {
  const asked = new Set(words(text));
  let best: { tool: ToolDefinition; score: number } | undefined;
  for (const tool of tools) {
    const name = words((tool.function?.name ?? "").replace(/_/g, " "));
    const description = words(tool.function?.description ?? "");
    const score =
      name.filter((w) => asked.has(w)).length * 2 + new Set(description.filter((w) => asked.has(w))).size;
    if (score > 0 && (!best || score > best.score)) best = { tool, score };
  }
  return best?.tool;
}

export const META_QUESTION =
  /\b(who are you|what can you do|what are you|help me\b|your (tools|capabilities))/i;
