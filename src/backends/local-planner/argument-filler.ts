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

/** What the planner knows besides the words: the files in play and the earlier tools' results. */
export interface Known {
  /** Image ids, oldest first: attached, then made by tools (the newest is the one meant). */
  images: string[];
  files: string[];
  videos: string[];
  /** Values of the earlier results by key (e.g. `boxes` from detect_faces). */
  facts: Map<string, JsonValue>;
}

const NUMBER = /-?\d+(?:\.\d+)?/g;

/** "North 30, South 60 and East 90" → labels and values; bare numbers → values only. */
function series(text: string): { labels?: string[]; values: number[] } {
  const pairs = [...text.matchAll(/([A-Za-z][\w-]*)\s*[:=]?\s*(-?\d+(?:\.\d+)?)/g)];
  const values = [...text.matchAll(NUMBER)].map((m) => Number(m[0]));
  if (pairs.length >= 2 && pairs.length === values.length) {
    return { labels: pairs.map((p) => p[1] as string), values: pairs.map((p) => Number(p[2])) };
  }
  return { values };
}

/** "sample 4 frames" → 4: the first whole number followed by a word. */
function firstCount(text: string): number | undefined {
  const match = /\b(\d+)\s+[a-z]/i.exec(text);
  return match ? Number(match[1]) : undefined;
}

export function fillArguments(schema: JsonObject, text: string, known: Known): FillResult {
  const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
  const required = (schema.required ?? []) as string[];
  const args: JsonObject = {};
  const size = /(\d+)\s*[x×]\s*(\d+)/.exec(text);
  const quoted = [...text.matchAll(/["“']([^"”']{1,200})["”']/g)].map((m) => m[1] as string);
  for (const [name, spec] of Object.entries(properties)) {
    let value: JsonValue | undefined;
    if (name === "image") value = known.images.at(-1);
    else if (name === "images") value = known.images.length > 0 ? [known.images.at(-1) as string] : undefined;
    else if (name === "file") value = known.files.at(-1);
    else if (name === "video") value = known.videos.at(-1);
    else if (name === "url") value = /\b(?:https?:\/\/|data:)[^\s"'<>]+/i.exec(text)?.[0];
    else if (name === "xywh") value = REGIONS.find(([words]) => words.test(text))?.[1];
    else if (name === "width") value = size ? Number(size[1]) : numberNear(text, ["width", "wide"]);
    else if (name === "height") value = size ? Number(size[2]) : numberNear(text, ["height", "tall", "high"]);
    else if (name === "degrees") value = numberNear(text, ["degrees", "rotate", "by", "°"]);
    else if (name === "every_seconds") value = numberNear(text, ["every"]);
    else if (name === "count") value = numberNear(text, ["count"]) ?? firstCount(text);
    else if (name === "values") value = series(text).values.length > 0 ? series(text).values : undefined;
    else if (name === "labels") value = series(text).labels;
    else if (name === "texts") value = quoted.length > 0 ? quoted : undefined;
    else if (name === "prompt" && required.includes(name)) value = text.trim();
    else if (spec.type === "integer" || spec.type === "number") value = numberNear(text, [name, "top"]);
    // Anything the words did not give may come from an earlier tool's result of the same name.
    if (value === undefined && known.facts.has(name) && !["image", "file", "video"].includes(name)) {
      value = known.facts.get(name);
    }
    if (value !== undefined && spec.type === "integer" && typeof value === "number")
      value = Math.round(value);
    if (value !== undefined) args[name] = value;
  }
  return { args, missing: required.filter((r) => args[r] === undefined) };
}
