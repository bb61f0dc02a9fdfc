import type { Tool } from "../tools/tool.js";

/** A file the model may name in tool calls: its id and a few words on what it is. */
export interface KnownFile {
  id: string;
  description: string;
}

const MAX_GIST = 60;

/** Gists by description: the same few tools are described in every chat's note. */
const gists = new Map<string, string>();

/** The first sentence of a description, at most MAX_GIST characters. */
function gist(description: string): string {
  let found = gists.get(description);
  if (found === undefined) {
    const sentence = description.split(/(?<=\.)\s/)[0] ?? description;
    found =
      sentence.length <= MAX_GIST
        ? sentence.replace(/\.$/, "")
        : `${sentence.slice(0, MAX_GIST - 1).trimEnd()}…`;
    // Descriptions come from the registered tools (and outside MCP servers' lists): a bound keeps
    // a server whose tools keep changing from growing this without end.
    if (gists.size >= 1_000) gists.clear();
    gists.set(description, found);
  }
  return found;
}

/**
 * The one system message the agent adds: the files the model can refer to by id, and what each
 * offered tool is for (the full schemas travel in `tools`). Kept short: it is sent on every step.
 */
export function systemNote(
  files: KnownFile[],
  tools: Pick<Tool, "name" | "description">[],
): string | undefined {
  const parts: string[] = [];
  if (files.length > 0) {
    parts.push(
      `Files attached to this conversation, usable by id in tool calls: ${files.map((f) => f.description).join("; ")}.`,
    );
  }
  if (tools.length > 0) {
    parts.push(`Server tools: ${tools.map((t) => `${t.name} (${gist(t.description)})`).join("; ")}.`);
    parts.push("Tools that create files return new ids; mention them in your answer.");
  }
  return parts.length > 0 ? parts.join(" ") : undefined;
}
