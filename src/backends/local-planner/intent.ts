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

export interface ScoredTool {
  tool: ToolDefinition;
  score: number;
  /** The words of the tool's own name that the request uses (stemmed): it asks for the tool by name. */
  namedBy: string[];
}

/**
 * Ranks the tools by the words they share with the request (stemmed crudely; a word of the tool's
 * own name counts double), best first, leaving out tools that share none. Data-driven: a new tool
 * is routable by its metadata.
 */
export function rankTools(text: string, tools: ToolDefinition[]): ScoredTool[] {
  const asked = new Set(words(text));
  const ranked: ScoredTool[] = [];
  for (const tool of tools) {
    const name = words((tool.function?.name ?? "").replace(/_/g, " "));
    const description = words(tool.function?.description ?? "");
    const namedBy = name.filter((w) => asked.has(w));
    const score = namedBy.length * 2 + new Set(description.filter((w) => asked.has(w))).size;
    if (score > 0) ranked.push({ tool, score, namedBy });
  }
  // Stable: among equal scores, the order the tools were offered in.
  return ranked.sort((a, b) => b.score - a.score);
}

export const META_QUESTION =
  /\b(who are you|what can you do|what are you|help me\b|your (tools|capabilities))/i;

/** A greeting or small talk with nothing to act on: answered with what the planner can do. */
export const GREETING =
  /^\s*(hi|hello|hey|hallo|good (morning|afternoon|evening)|thanks|thank you|yo)\b[\s!.?]*$/i;

/** A question about what a file says: answered with its text (PDF text layer, else OCR). */
export const CONTENT_QUESTION =
  /\b(what does (it|this|that|the)( \w+)? say|what('s| is) (in|written)|read (it|this|the)|contents?|the text|transcribe|summari[sz]e|what is (it|this \w+) about)\b/i;
