import type { Tool } from "../tools/tool.js";

/** A file the model may name in tool calls: its id and a few words on what it is. */
export interface KnownFile {
  id: string;
  description: string;
}

/** The first sentence of a description, at most `max` characters. */
function gist(description: string, max = 60): string {
  const sentence = description.split(/(?<=\.)\s/)[0] ?? description;
  return sentence.length <= max ? sentence.replace(/\.$/, "") : `${sentence.slice(0, max - 1).trimEnd()}…`;
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
