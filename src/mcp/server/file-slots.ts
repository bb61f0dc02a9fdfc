import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { MediaKind } from "../../config.js";
import type { AnyTool } from "../../tools/tool.js";
import type { FileRefs } from "./file-refs.js";

/** The id prefix a tool's argument pattern asks for, and the kind of file it names. */
const KIND_BY_PATTERN: [RegExp, MediaKind][] = [
  [/^\^img_/, "image"],
  [/^\^doc_/, "document"],
  [/^\^vid_/, "video"],
  [/^\^aud_/, "audio"],
];

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The kind of file a property schema takes: an artifact id pattern, alone or in an anyOf. */
function kindOfProperty(schema: JsonValue | undefined): MediaKind | undefined {
  if (!isObject(schema)) return undefined;
  if (typeof schema.pattern === "string") {
    return KIND_BY_PATTERN.find(([pattern]) => pattern.test(schema.pattern as string))?.[1];
  }
  const branches = schema.anyOf ?? schema.oneOf;
  if (!Array.isArray(branches)) return undefined;
  for (const branch of branches) {
    const kind = kindOfProperty(branch);
    if (kind) return kind;
  }
  return undefined;
}

/**
 * The arguments of a tool that name a file (Orion's tools take artifact ids, `img_…`, `doc_…`):
 * over MCP each also takes a `data:` URL, an `https` URL or a file id. Tools name files only at
 * the top level of their arguments.
 */
export function fileSlots(tool: AnyTool): Map<string, MediaKind> {
  const slots = new Map<string, MediaKind>();
  const properties = tool.parameters.properties;
  if (!isObject(properties)) return slots;
  for (const [name, schema] of Object.entries(properties)) {
    const kind = kindOfProperty(schema);
    if (kind) slots.set(name, kind);
  }
  return slots;
}

const ARTICLE: Record<MediaKind, string> = {
  image: "An image",
  document: "A document",
  video: "A video",
  audio: "An audio file",
};

/** The tool's JSON Schema as MCP clients see it: each file argument is a string of any of the accepted forms. */
export function mcpInputSchema(tool: AnyTool, slots: Map<string, MediaKind>): JsonObject {
  if (slots.size === 0) return tool.parameters;
  const properties = { ...(tool.parameters.properties as JsonObject) };
  for (const [name, kind] of slots) {
    properties[name] = {
      type: "string",
      description: `${ARTICLE[kind]}: a data: URL, an https URL, a file id ("file-…") or an artifact id returned by an earlier call`,
    };
  }
  return { ...tool.parameters, properties };
}

/**
 * The arguments with every file argument replaced by the artifact id the tool takes. Values that
 * are not strings (or `{id}`) are left for the tool's own schema check to name.
 */
export async function resolveFileArguments(
  args: Record<string, unknown>,
  slots: Map<string, MediaKind>,
  refs: FileRefs,
): Promise<Record<string, unknown>> {
  const resolved = { ...args };
  for (const [name, kind] of slots) {
    const value = args[name];
    const ref =
      typeof value === "string"
        ? value
        : isObject(value) && typeof value.id === "string"
          ? value.id
          : undefined;
    if (ref === undefined) continue;
    resolved[name] = (await refs.resolve(ref, name, kind)).id;
  }
  return resolved;
}
