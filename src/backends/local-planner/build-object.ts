import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

export interface ToolOutput {
  result?: JsonValue;
  artifacts?: string[];
  summary?: string;
}

/** Every key/value in the outputs, depth first; the first occurrence of a key wins. */
export function facts(outputs: ToolOutput[]): Map<string, JsonValue> {
  const found = new Map<string, JsonValue>();
  const walk = (value: JsonValue | undefined) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    for (const [key, inner] of Object.entries(value)) {
      if (!found.has(key) && inner !== undefined) found.set(key, inner);
      walk(inner);
    }
  };
  for (const output of outputs) walk(output.result);
  return found;
}

/**
 * Builds the object a response_format schema asks for out of the tools' results: a property takes
 * the result value of the same name; an image/file reference property takes the artifact the tools
 * produced. Properties the results cannot supply stay absent, so validation says what is missing.
 */
export function buildObject(schema: JsonObject, outputs: ToolOutput[]): JsonObject {
  const known = facts(outputs);
  const artifacts = outputs.flatMap((o) => o.artifacts ?? []);
  const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
  if (Object.keys(properties).length === 0) {
    return Object.fromEntries(known) as JsonObject;
  }
  const out: JsonObject = {};
  for (const [name, spec] of Object.entries(properties)) {
    const value = known.get(name);
    if (value !== undefined) {
      out[name] = value;
      continue;
    }
    const wantsRef =
      /^(image|file|output|result|artifact|object)(_id)?$/.test(name) ||
      JSON.stringify(spec).includes("img_");
    const artifact = artifacts.at(-1);
    if (!wantsRef || !artifact) continue;
    const asObject = spec.type === "object" && (spec.properties as JsonObject | undefined)?.id !== undefined;
    out[name] = asObject ? { id: artifact } : artifact;
  }
  return out;
}
