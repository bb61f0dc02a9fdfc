import type { ChatCompletionRequest } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";

/** Words that make the router add a toolset (streaming requests without `toolsets`). */
const WORDS: [Toolset, RegExp][] = [
  [Toolset.IMAGE, /\b(crop|resize|rotate|flip|colou?rs?|detect|objects?|faces?|image|photo|picture|size)\b/i],
  [Toolset.DOCUMENT, /\b(pdf|docx?|document|ocr|page|layout|invoice|receipt|text|read|written|redact)\b/i],
  [Toolset.VIDEO, /\b(video|frames?|clip|scene|trim)\b/i],
  [Toolset.VIZ, /\b(chart|plot|graph|overlay|visuali[sz]e)\b/i],
  [Toolset.IMAGE_GEN, /\b(generate|draw|blur|pixelate|redact|annotate|edit)\b/i],
  [Toolset.WEB, /\b(search|web|website|url|fetch|browse)\b/i],
  [Toolset.WORLD_GEN, /\b(depth|3d|3-d|reconstruct\w*|point cloud)\b/i],
];

/** The request names its toolsets: built-in ones, or an outside MCP server's ("mcp:<name>"). */
export function namesToolsets(request: ChatCompletionRequest): boolean {
  return request.toolsets.length > 0 || request.mcpServers.length > 0;
}

/** Media kinds that make the router add a toolset. */
const MEDIA: Record<string, Toolset> = {
  imageUrl: Toolset.IMAGE,
  videoUrl: Toolset.VIDEO,
  fileUrl: Toolset.DOCUMENT,
  inputFile: Toolset.DOCUMENT,
};

/** The toolset the router adds for media of a kind found in its content (uploaded files). */
export const TOOLSET_OF_KIND: Partial<Record<string, Toolset>> = {
  image: Toolset.IMAGE,
  video: Toolset.VIDEO,
  document: Toolset.DOCUMENT,
};

/**
 * Which toolsets a request gets (README, "Which tools"): explicit `toolsets` → exactly those; absent on a streaming request → the router picks
 * from the request's words and attached media (always with `core`); absent otherwise → `core`.
 * `fileToolsets` names the toolset of each uploaded file by id (its content's kind).
 */
export function selectToolsets(
  request: ChatCompletionRequest,
  streaming: boolean,
  fileToolsets: ReadonlyMap<string, Toolset> = new Map(),
): Toolset[] {
  if (namesToolsets(request)) return [...new Set(request.toolsets)];
  if (!streaming) return [Toolset.CORE];
  const chosen = new Set<Toolset>([Toolset.CORE]);
  for (const message of request.messages) {
    const text = textOf(message);
    for (const [toolset, words] of WORDS) if (words.test(text)) chosen.add(toolset);
    for (const part of message.parts) {
      const p = part.part;
      const uploaded = p.case === "inputFile" ? fileToolsets.get(p.value.fileId) : undefined;
      const toolset = uploaded ?? (p.case && MEDIA[p.case]);
      if (toolset) chosen.add(toolset);
    }
  }
  return [...chosen];
}

/** A link in the words: what `load_url` (core) is for, so the router chooses core for it. */
const LINK = /\bhttps?:\/\/\S/i;

/**
 * The toolsets whose no-file tools are offered (tools that need files are offered whenever a file
 * they take is at hand): the request's `toolsets`; on a request without them that does not
 * stream, the default `core` (the contract's default selection); on a stream, what the router
 * added from the request's words and media, and `core` only when the words hold a link. So a
 * streamed chat that asks for nothing in particular stays a plain chat.
 */
export function chosenToolsets(
  request: ChatCompletionRequest,
  toolsets: readonly Toolset[],
  streaming: boolean,
): Set<Toolset> {
  if (namesToolsets(request)) return new Set(request.toolsets);
  if (!streaming) return new Set([Toolset.CORE]);
  const chosen = new Set<Toolset>(toolsets.filter((t) => t !== Toolset.CORE));
  if (request.messages.some((m) => LINK.test(textOf(m)))) chosen.add(Toolset.CORE);
  return chosen;
}

function textOf(message: ChatCompletionRequest["messages"][number]): string {
  return [
    message.content ?? "",
    ...message.parts.map((p) => (p.part.case === "text" ? p.part.value : "")),
  ].join(" ");
}
