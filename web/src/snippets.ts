import type { MediaKind } from "./settings.js";

/** Who the snippet calls as: an API key from the environment, or the page's guest browser id. */
export type SketchCaller = { kind: "key" } | { kind: "guest"; browserId: string };

/** What the page sends (or would send), in OpenAI JSON terms, for the "View code" snippets. */
export interface RequestSketch {
  model: string;
  system: string;
  prompt: string;
  /** Files attached (snippets show where they go, not their bytes). */
  files: { name: string; type: string; kind: MediaKind; fileId?: string }[];
  caller: SketchCaller;
  toolsets: string[];
  providers: string[];
  temperature?: number;
  maxTokens?: number;
  schema?: unknown;
  sessionId?: string;
}

function body(r: RequestSketch): Record<string, unknown> {
  const content: unknown =
    r.files.length === 0
      ? r.prompt
      : [
          ...(r.prompt === "" ? [] : [{ type: "text", text: r.prompt }]),
          ...r.files.map((f) => {
            if (f.fileId) return { type: "input_file", file_id: f.fileId };
            const key = f.kind === "document" ? "file_url" : `${f.kind}_url`;
            return {
              type: key,
              [key]: { url: `data:${f.type || "application/octet-stream"};base64,… (${f.name})` },
            };
          }),
        ];
  return {
    model: r.model,
    messages: [...(r.system ? [{ role: "system", content: r.system }] : []), { role: "user", content }],
    ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
    ...(r.maxTokens !== undefined ? { max_tokens: r.maxTokens } : {}),
    ...(r.schema !== undefined
      ? { response_format: { type: "json_schema", json_schema: { name: "answer", schema: r.schema } } }
      : {}),
    ...(r.toolsets.length > 0 ? { toolsets: r.toolsets } : {}),
    ...(r.providers.length > 0 ? { models: r.providers } : {}),
    ...(r.sessionId ? { session_id: r.sessionId } : {}),
  };
}

/** Orion's own keys: OpenAI SDKs send them as extra body fields. */
const ORION_KEYS = ["toolsets", "models", "session_id"];

/** A JSON value as a Python literal (True, False, None). */
function py(value: unknown, indent: string): string {
  const inner = `${indent}    `;
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => `${inner}${py(v, inner)},`).join("\n")}\n${indent}]`;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return "{}";
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${py(v, inner)},`).join("\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

export function snippet(lang: "curl" | "python" | "typescript", r: RequestSketch, origin: string): string {
  const all = body(r);
  const standard = Object.fromEntries(Object.entries(all).filter(([k]) => !ORION_KEYS.includes(k)));
  const extra = Object.fromEntries(Object.entries(all).filter(([k]) => ORION_KEYS.includes(k)));
  const json = (v: unknown, indent = 2) => JSON.stringify(v, null, indent);
  // A guest sends no Authorization (any bearer is checked, and an unknown one is a 401): its
  // browser id names it, as the page's own requests do.
  const guest = r.caller.kind === "guest" ? r.caller.browserId : undefined;
  if (lang === "curl") {
    return [
      `curl ${origin}/v1/chat/completions \\`,
      "  -H 'content-type: application/json' \\",
      guest === undefined
        ? '  -H "authorization: Bearer $ORION_API_KEY" \\'
        : `  -H 'x-browser-id: ${guest}' \\`,
      `  -d '${json(all).replaceAll("'", "'\\''")}'`,
    ].join("\n");
  }
  if (lang === "python") {
    if (guest !== undefined) {
      // OpenAI's Python SDK always sends a bearer token, so a guest posts the JSON itself.
      return [
        "import json",
        "import urllib.request",
        "",
        `body = ${py(all, "")}`,
        "request = urllib.request.Request(",
        `    "${origin}/v1/chat/completions",`,
        "    data=json.dumps(body).encode(),",
        `    headers={"content-type": "application/json", "x-browser-id": ${JSON.stringify(guest)}},`,
        ")",
        "reply = json.load(urllib.request.urlopen(request))",
        'print(reply["choices"][0]["message"]["content"])',
      ].join("\n");
    }
    const args = Object.entries(standard).map(([k, v]) => `    ${k}=${py(v, "    ")},`);
    if (Object.keys(extra).length > 0) args.push(`    extra_body=${py(extra, "    ")},`);
    return [
      "import os",
      "from openai import OpenAI",
      "",
      `client = OpenAI(base_url="${origin}/v1", api_key=os.environ["ORION_API_KEY"])`,
      "reply = client.chat.completions.create(",
      ...args,
      ")",
      "print(reply.choices[0].message.content)",
    ].join("\n");
  }
  const client =
    guest === undefined
      ? `const client = new OpenAI({ baseURL: "${origin}/v1", apiKey: process.env.ORION_API_KEY });`
      : [
          "// A guest: no bearer token (null removes the SDK's), its browser id instead.",
          "const client = new OpenAI({",
          `  baseURL: "${origin}/v1",`,
          '  apiKey: "guest",',
          `  defaultHeaders: { Authorization: null, "X-Browser-Id": ${JSON.stringify(guest)} },`,
          "});",
        ].join("\n");
  return [
    'import OpenAI from "openai";',
    "",
    "// Orion's keys (toolsets, models, session_id) ride along with the standard parameters.",
    "type OrionParams = OpenAI.ChatCompletionCreateParamsNonStreaming & {",
    "  toolsets?: string[];",
    "  models?: string[];",
    "  session_id?: string;",
    "};",
    "",
    client,
    `const params: OrionParams = ${json(all)};`,
    "const reply = await client.chat.completions.create(params);",
    "console.log(reply.choices[0]?.message.content);",
  ].join("\n");
}
