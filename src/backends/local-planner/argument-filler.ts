import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

/**
 * Fills a tool's arguments from the user's words and the attached files, by parameter name and
 * schema, never by tool: `image` / `file` → the newest attached image / document, `xywh` → a named region, numbers →
 * the numbers the user wrote next to the parameter's name.
 */
const REGIONS: [RegExp, [number, number, number, number]][] = [
  [/top[- ]left (quarter|corner)/i, [0, 0, 0.5, 0.5]],
  [/top[- ]right (quarter|corner)/i, [0.5, 0, 0.5, 0.5]],
  [/bottom[- ]left (quarter|corner)/i, [0, 0.5, 0.5, 0.5]],
  [/bottom[- ]right (quarter|corner)/i, [0.5, 0.5, 0.5, 0.5]],
  [/left half/i, [0, 0, 0.5, 1]],
  [/right half/i, [0.5, 0, 0.5, 1]],
  [/top half/i, [0, 0, 1, 0.5]],
  [/bottom half/i, [0, 0.5, 1, 0.5]],
  [/cent(er|re)/i, [0.25, 0.25, 0.5, 0.5]],
];

function numberNear(text: string, words: string[]): number | undefined {
  for (const word of words) {
    const after = new RegExp(`\\b${word}\\b\\D{0,12}?(-?\\d+(?:\\.\\d+)?)`, "i").exec(text);
    if (after) return Number(after[1]);
    const before = new RegExp(`(-?\\d+(?:\\.\\d+)?)\\s*(?:px|pixels?|°)?\\s*${word}`, "i").exec(text);
    if (before) return Number(before[1]);
  }
  return undefined;
}

export interface FillResult {
  args: JsonObject;
  /** Required parameters the words did not give. */
  missing: string[];
}

export function fillArguments(
  schema: JsonObject,
  text: string,
  images: string[],
  files: string[] = [],
): FillResult {
  const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
  const required = (schema.required ?? []) as string[];
  const args: JsonObject = {};
  const size = /(\d+)\s*[x×]\s*(\d+)/.exec(text);
  for (const [name, spec] of Object.entries(properties)) {
    let value: JsonValue | undefined;
    if (name === "image") value = images.at(-1);
    else if (name === "file") value = files.at(-1);
    else if (name === "url") value = /\b(?:https?:\/\/|data:)[^\s"'<>]+/i.exec(text)?.[0];
    else if (name === "xywh") value = REGIONS.find(([words]) => words.test(text))?.[1];
    else if (name === "width") value = size ? Number(size[1]) : numberNear(text, ["width", "wide"]);
    else if (name === "height") value = size ? Number(size[2]) : numberNear(text, ["height", "tall", "high"]);
    else if (name === "degrees") value = numberNear(text, ["degrees", "rotate", "by", "°"]);
    else if (spec.type === "integer" || spec.type === "number") value = numberNear(text, [name, "top"]);
    if (value !== undefined && spec.type === "integer" && typeof value === "number")
      value = Math.round(value);
    if (value !== undefined) args[name] = value;
  }
  return { args, missing: required.filter((r) => args[r] === undefined) };
}
