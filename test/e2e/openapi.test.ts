import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hello, sseData, startServer, type TestServer } from "../support/server.js";

let server: TestServer;
let spec: {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { responses: Record<string, { content?: Record<string, { schema?: object; itemSchema?: object }> }> }
    >
  >;
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
const compiled = new Map<object, ValidateFunction>();
const guest = { "x-browser-id": "openapi-test-browser" };

beforeAll(async () => {
  server = await startServer();
  spec = await (await fetch(`${server.url}/openapi.json`)).json();
});
afterAll(() => server.close());

/** The documented schema of a response: its path template, method, status (or 4XX/5XX) and type. */
function documented(
  template: string,
  method: string,
  status: number,
  type = "application/json",
  item = false,
) {
  const responses = spec.paths[template]?.[method]?.responses;
  const response = responses?.[String(status)] ?? responses?.[`${String(status)[0]}XX`];
  const media = response?.content?.[type];
  const schema = item ? media?.itemSchema : media?.schema;
  if (!schema) throw new Error(`${method.toUpperCase()} ${template} ${status} ${type} is not documented`);
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Fetches, then checks the real JSON body against the document: no hand-written assertions. */
async function conforms(template: string, path: string, init: RequestInit = {}) {
  const method = (init.method ?? "GET").toLowerCase();
  const response = await fetch(`${server.url}${path}`, { ...init, headers: { ...guest, ...init.headers } });
  const body = await response.json();
  const validate = documented(template, method, response.status);
  expect(validate(body), `${method} ${path} ${response.status}: ${ajv.errorsText(validate.errors)}`).toBe(
    true,
  );
  return { status: response.status, body };
}

const post = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("/openapi.json", () => {
  it("is OpenAPI 3.1 and documents every HTTP route the server serves", () => {
    expect(spec.openapi).toBe("3.1.0");
    const served = server.app
      .routes()
      .filter((r) => !["playground", "playground.asset", "docs", "docs.asset", "openapi"].includes(r.name));
    for (const route of served) {
      expect(
        spec.paths[route.path]?.[route.method.toLowerCase()],
        `${route.method} ${route.path}`,
      ).toBeDefined();
    }
  });

  it("describes real responses of every route, successes and errors alike", async () => {
    const chat = await conforms("/v1/openai/chat/completions", "/v1/openai/chat/completions", post(hello));
    expect(chat.status).toBe(200);
    const sessionId = (chat.body as { session_id: string }).session_id;
    await conforms("/v1/chat/completions", "/v1/chat/completions", post({ ...hello, session_id: sessionId }));
    expect(
      (await conforms("/v1/chat/completions", "/v1/chat/completions", post({ messages: 3 }))).status,
    ).toBe(422);
    await conforms("/v1/openai/models", "/v1/openai/models");
    await conforms("/v1/models", "/v1/models");
    await conforms("/v1/models/{id}", "/v1/models/vlmrun-orion-1:auto");
    expect((await conforms("/v1/models/{id}", "/v1/models/nope")).status).toBe(404);
    await conforms("/v1/quota", "/v1/quota");
    await conforms("/v1/sessions/{session_id}", `/v1/sessions/${sessionId}`);
    await conforms("/v1/artifacts/list", `/v1/artifacts/list?session_id=${sessionId}`);
    expect((await conforms("/v1/artifacts/list", "/v1/artifacts/list")).status).toBe(422);
    expect(
      (await conforms("/v1/artifacts", `/v1/artifacts?object_id=img_000000&session_id=${sessionId}`)).status,
    ).toBe(404);
    await conforms("/v1/skills", "/v1/skills");
    await conforms("/v1/tools", "/v1/tools");
    await conforms("/v1/sessions/{session_id}", `/v1/sessions/${sessionId}`, { method: "DELETE" });
    await conforms("/healthz", "/healthz");
    await conforms("/readyz", "/readyz");
    expect(
      (await conforms("/v1/quota", "/v1/quota", { headers: { authorization: "Bearer sk-not-a-key-000" } }))
        .status,
    ).toBe(401);
  });

  it("says what an absent toolsets selects, as the server does", () => {
    const text = JSON.stringify(spec);
    expect(text).toContain("Absent: 'core' on a request that does not stream");
  });

  it("describes every chunk of a real stream", async () => {
    const response = await fetch(`${server.url}/v1/openai/chat/completions`, {
      ...post({ ...hello, stream: true, stream_options: { include_usage: true } }),
      headers: { ...guest, "content-type": "application/json" },
    });
    const events = sseData(await response.text());
    expect(events.at(-1)).toBe("[DONE]");
    const validate = documented("/v1/openai/chat/completions", "post", 200, "text/event-stream", true);
    for (const event of events.slice(0, -1)) {
      expect(validate(JSON.parse(event)), ajv.errorsText(validate.errors)).toBe(true);
    }
  });
});

describe("/docs", () => {
  it("renders the document with Swagger UI served from the npm package, under a strict CSP", async () => {
    const page = await fetch(`${server.url}/docs`);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1] as string);
    expect(scripts).toEqual(["/docs/swagger-ui-bundle.js", "/docs/init.js"]);
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script
    for (const file of [...scripts, "/docs/swagger-ui.css"]) {
      const response = await fetch(`${server.url}${file}`);
      expect(response.status, file).toBe(200);
      expect((await response.arrayBuffer()).byteLength, file).toBeGreaterThan(0);
    }
    expect(await (await fetch(`${server.url}/docs/init.js`)).text()).toContain('url: "/openapi.json"');
    expect((await fetch(`${server.url}/docs/..%2Fpackage.json`)).status).toBe(404);
  });
});
