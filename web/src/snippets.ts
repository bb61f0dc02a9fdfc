/** What the page would send, in OpenAI JSON terms, for the "View code" snippets. */
export interface RequestSketch {
  model: string;
  system: string;
  prompt: string;
  /** File names attached (snippets show where they go, not their bytes). */
  files: string[];
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
          { type: "text", text: r.prompt },
          ...r.files.map((f) => ({ type: "image_url", image_url: { url: `data:…;base64,… (${f})` } })),
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

export function snippet(lang: "curl" | "python" | "typescript", r: RequestSketch, origin: string): string {
  const all = body(r);
  const standard = Object.fromEntries(Object.entries(all).filter(([k]) => !ORION_KEYS.includes(k)));
  const extra = Object.fromEntries(Object.entries(all).filter(([k]) => ORION_KEYS.includes(k)));
  const json = (v: unknown, indent = 2) => JSON.stringify(v, null, indent);
  if (lang === "curl") {
    return [
      `curl ${origin}/v1/chat/completions \\`,
      "  -H 'content-type: application/json' \\",
      "  -H 'authorization: Bearer $ORION_API_KEY' \\",
      `  -d '${json(all).replaceAll("'", "'\\''")}'`,
    ].join("\n");
  }
  if (lang === "python") {
    const args = Object.entries(standard).map(([k, v]) => `    ${k}=${json(v).replaceAll("\n", "\n    ")},`);
    if (Object.keys(extra).length > 0) args.push(`    extra_body=${json(extra).replaceAll("\n", "\n    ")},`);
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
    `const client = new OpenAI({ baseURL: "${origin}/v1", apiKey: process.env.ORION_API_KEY });`,
    `const params: OrionParams = ${json(all)};`,
    "const reply = await client.chat.completions.create(params);",
    "console.log(reply.choices[0]?.message.content);",
  ].join("\n");
}
