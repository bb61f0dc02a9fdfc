/**
 * Seeded request mutation for REST and Connect: valid bodies, then one to three mutations of
 * types, ranges, nesting, encodings and headers. Shared by the fuzz test and `npm run bench:fuzz`.
 */

/** mulberry32: small, fast, good enough to spread mutations; the same seed gives the same run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzRequest {
  method: "GET" | "POST" | "DELETE";
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const TINY_PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

const restBodies = (): Record<string, unknown>[] => [
  { messages: [{ role: "user", content: "Say hello" }] },
  {
    messages: [{ role: "user", content: "Say hello" }],
    stream: true,
    stream_options: { include_usage: true },
  },
  {
    model: "vlmrun-orion-1:fast",
    messages: [
      { role: "system", content: "Be brief." },
      {
        role: "user",
        content: [
          { type: "text", text: "what is this" },
          { type: "image_url", image_url: { url: TINY_PNG } },
        ],
      },
    ],
    max_tokens: 64,
    temperature: 0.2,
    top_p: 0.9,
    top_k: 40,
    n: 2,
    stop: ["\n\n"],
    seed: 7,
  },
  {
    messages: [{ role: "user", content: "extract" }],
    response_format: {
      type: "json_schema",
      json_schema: {
        name: "x",
        schema: { type: "object", properties: { a: { type: "string", pattern: "^a+$" } } },
      },
    },
  },
  {
    messages: [{ role: "user", content: "call a tool" }],
    tools: [
      {
        type: "function",
        function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } },
      },
    ],
    tool_choice: "auto",
    metadata: { team: "a" },
    session_id: "fuzz-session",
    id: "fuzz-id",
  },
];

const connectBodies = (): Record<string, unknown>[] => [
  { messages: [{ role: "ROLE_USER", content: "Say hello" }] },
  {
    messages: [{ role: "ROLE_USER", parts: [{ text: "what is this" }, { imageUrl: { url: TINY_PNG } }] }],
    maxTokens: 64,
    topK: 40,
    n: 2,
  },
  {
    messages: [{ role: "ROLE_USER", content: "extract" }],
    responseFormat: { type: "RESPONSE_FORMAT_TYPE_JSON_OBJECT" },
    sessionId: "fuzz-rpc",
  },
];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** A value of a random type and size, from the kinds that break parsers and range checks. */
function oddValue(rand: () => number): unknown {
  return pick(rand, [
    () => null,
    () => true,
    () => -1,
    () => 0,
    () => 2 ** 31,
    () => 2 ** 53 + 2,
    () => -(2 ** 63),
    () => 1e308,
    () => 0.5,
    () => "",
    () => "x".repeat(Math.floor(rand() * 200_000)),
    () => "\u0000\ud800\uffff",
    () => "data:image/png,%E0%A4%A",
    () => "http://127.0.0.1:1/x",
    () => "file:///etc/passwd",
    () => [],
    () => Array.from({ length: 2_000 }, () => 1),
    () => ({}),
    () => nested(Math.floor(rand() * 200)),
    () => ({ $ref: "#" }),
    () => ({ type: "string", pattern: "^(a+)+$" }),
  ])();
}

/** Every (parent, key) in a JSON value, for picking a place to mutate. */
function places(root: unknown): [Record<string | number, unknown>, string | number][] {
  const out: [Record<string | number, unknown>, string | number][] = [];
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    for (const [key, child] of Object.entries(node)) {
      out.push([node as Record<string, unknown>, Array.isArray(node) ? Number(key) : key]);
      stack.push(child);
    }
  }
  return out;
}

function mutateValue(rand: () => number, body: Record<string, unknown>): void {
  const spots = places(body);
  if (spots.length === 0) return;
  const [parent, key] = pick(rand, spots);
  const action = rand();
  if (action < 0.6) parent[key] = oddValue(rand);
  else if (action < 0.75) delete parent[key];
  else if (action < 0.9) parent[`unknown_${Math.floor(rand() * 100)}`] = oddValue(rand);
  else parent[key] = [parent[key], parent[key]];
}

function encode(rand: () => number, body: unknown): Buffer {
  const text = JSON.stringify(body);
  const action = rand();
  if (action < 0.08) return Buffer.from(text.slice(0, Math.floor(rand() * text.length)));
  if (action < 0.12)
    return Buffer.concat([
      Buffer.from(text.slice(0, 10)),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from(text.slice(10)),
    ]);
  if (action < 0.14) return Buffer.from(`[${text}]`);
  if (action < 0.16) return Buffer.alloc(0);
  return Buffer.from(text);
}

function oddHeaders(rand: () => number, contentType: string): Record<string, string> {
  const headers: Record<string, string> = { "content-type": contentType };
  const action = rand();
  if (action < 0.1)
    headers["content-type"] = pick(rand, [
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/json; charset=latin1",
      "application/proto",
      "multipart/form-data",
    ]);
  else if (action < 0.2)
    headers.authorization = pick(rand, [
      "",
      "Bearer ",
      "Bearer a.b.c",
      "Basic x",
      "Bearer eyJhbGciOiJub25lIn0.e30.",
      `Bearer ${"k".repeat(5000)}`,
    ]);
  else if (action < 0.3)
    headers["x-browser-id"] = pick(rand, ["", "ipua_0", "h_x", "a".repeat(500), "é/../\\", "browser-1"]);
  else if (action < 0.35) headers["x-request-id"] = pick(rand, ["bad id with spaces", "r".repeat(4000)]);
  else if (action < 0.4) headers["connect-protocol-version"] = pick(rand, ["2", "x"]);
  else if (action < 0.45) headers["x-forwarded-for"] = pick(rand, ["::1", "not-an-ip", "1.2.3.4, 5.6.7.8"]);
  return headers;
}

/** Percent-encodes any string, lone surrogates included (as their raw UTF-16 code units' bytes). */
function pathSegment(value: unknown): string {
  const text = String(value).slice(0, 300);
  try {
    return encodeURIComponent(text);
  } catch {
    return `${encodeURIComponent(text.replace(/[\ud800-\udfff]/g, ""))}%ED%A0%80`;
  }
}

/** The `index`-th request of the run seeded with `seed`. */
export function fuzzRequest(seed: number, index: number): FuzzRequest {
  const rand = prng(seed * 1_000_003 + index);
  const kind = rand();
  if (kind < 0.1) {
    const path = pick(rand, [
      `/v1/sessions/${pathSegment(oddValue(rand))}`,
      `/v1/artifacts?object_id=${pathSegment(oddValue(rand))}&session_id=x`,
      "/v1/artifacts/list?session_id=%E0%A4%A",
      "/v1/quota",
      "/v1/openai/models/%ZZ",
      "/v1/tools",
      `/v1/openai/${"a/".repeat(200)}`,
    ]);
    return {
      method: pick(rand, ["GET", "DELETE"] as const),
      path,
      headers: oddHeaders(rand, "application/json"),
    };
  }
  const connect = kind < 0.4;
  const body = structuredClone(pick(rand, connect ? connectBodies() : restBodies()));
  const mutations = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < mutations; i++) mutateValue(rand, body);
  const stream = connect ? false : body.stream === true;
  return {
    method: "POST",
    path: connect
      ? `/vlmrun.agent.v1.AgentService/${pick(rand, ["CreateChatCompletion", "GetQuota", "GetSession", "ListArtifacts"])}`
      : "/v1/openai/chat/completions",
    headers: { ...oddHeaders(rand, "application/json"), ...(stream ? { accept: "text/event-stream" } : {}) },
    body: encode(rand, body),
  };
}

export interface FuzzOutcome {
  status: number;
  /** The error code of a JSON error body, if any. */
  code: string | undefined;
  hung: boolean;
}

/** Sends one request with a deadline; a request that is not answered in time counts as a hang. */
export async function sendFuzz(
  baseUrl: string,
  request: FuzzRequest,
  timeoutMs: number,
): Promise<FuzzOutcome> {
  try {
    const res = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers: request.headers,
      ...(request.body ? { body: new Uint8Array(request.body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let code: string | undefined;
    try {
      const json = JSON.parse(text) as { error?: { code?: string }; code?: string };
      code = json.error?.code ?? json.code;
    } catch {
      code = /"code":"([a-z_]+)"/.exec(text)?.[1];
    }
    return { status: res.status, code, hung: false };
  } catch (error) {
    if ((error as Error).name === "TimeoutError") return { status: 0, code: undefined, hung: true };
    return { status: -1, code: (error as Error).message, hung: false };
  }
}

/** 5xx that are faults of ours: a 500, or a 5xx that is not a documented gateway or shutdown status. */
export function isServerFault(outcome: FuzzOutcome): boolean {
  if (outcome.status === 500) return true;
  if (outcome.status < 500) return false;
  return ![
    "response_format_unmet",
    "upstream_error",
    "upstream_unavailable",
    "upstream_timeout",
    "unavailable",
  ].includes(outcome.code ?? "");
}
