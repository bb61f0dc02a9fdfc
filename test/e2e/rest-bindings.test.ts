import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { requestFromBinding } from "../../src/server/rest/bindings/binding-request.js";
import { httpBindings } from "../../src/wire/http-bindings.js";
import { startServer, type TestServer } from "../support/server.js";

let server: TestServer;
const guest = { "x-browser-id": "bindings-test-browser" };

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

describe("REST routes from the proto's google.api.http bindings", () => {
  const bindings = httpBindings(AgentService);

  it("reads every binding the proto declares", () => {
    expect(bindings.map((b) => `${b.verb} ${b.path}`)).toEqual([
      "POST /v1/openai/chat/completions",
      "POST /v1/chat/completions",
      "GET /v1/openai/models",
      "GET /v1/models",
      "GET /v1/quota",
      "GET /v1/sessions/{session_id}",
      "DELETE /v1/sessions/{session_id}",
      "GET /v1/skills",
      "GET /v1/artifacts",
      "GET /v1/artifacts/list",
      "POST /v1/agent/execute",
      "GET /v1/agent/executions",
      "GET /v1/agent/executions/{id}",
      "POST /v1/agent/executions/{id}/cancel",
      "GET /v1/agent/executions/{id}/events",
    ]);
  });

  it("serves every binding: each answers from its method, never the router's 404 or 405", async () => {
    for (const binding of bindings) {
      const path = binding.path.replace(/\{[^}]+\}/g, "sess-bindings");
      const response = await fetch(`${server.url}${path}`, {
        method: binding.verb,
        headers: { ...guest, "content-type": "application/json" },
        ...(binding.body === "*"
          ? { body: JSON.stringify({ model: "vlmrun-orion-1:auto", messages: [] }) }
          : {}),
      });
      const body = await response.text();
      expect(response.status, `${binding.verb} ${path}`).not.toBe(405);
      expect(body, `${binding.verb} ${path}`).not.toContain("no route for");
      expect(response.headers.get("x-request-id"), `${binding.verb} ${path}`).toBeTruthy();
    }
  });

  it("fills path variables and query parameters into the request, and names missing REQUIRED fields", () => {
    const getSession = bindings.find((b) => b.method.name === "GetSession");
    const getArtifact = bindings.find((b) => b.method.name === "GetArtifact");
    if (!getSession || !getArtifact) throw new Error("bindings missing");
    expect(requestFromBinding(getSession, { session_id: "abc" }, new URLSearchParams())).toMatchObject({
      message: { sessionId: "abc" },
    });
    expect(requestFromBinding(getArtifact, {}, new URLSearchParams("session_id=s1"))).toEqual({
      issues: [{ loc: ["query", "object_id"], msg: "Field required", type: "missing" }],
    });
    expect(
      requestFromBinding(getArtifact, {}, new URLSearchParams("object_id=img_aaaaaa&session_id=s1")),
    ).toMatchObject({ message: { objectId: "img_aaaaaa", sessionId: "s1" } });
  });

  it("answers a missing query parameter with a 422 naming it", async () => {
    const response = await fetch(`${server.url}/v1/artifacts?session_id=s1`, { headers: guest });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { detail: unknown }).detail).toEqual([
      { loc: ["query", "object_id"], msg: "Field required", type: "missing" },
    ]);
    // session_id or execution_id: the service names what is missing.
    const neither = await fetch(`${server.url}/v1/artifacts/list`, { headers: guest });
    expect(neither.status).toBe(422);
    expect(JSON.stringify(await neither.json())).toContain("exactly one of session_id or execution_id");
  });
});

describe("the HTTP pipeline", () => {
  it("puts an X-Request-Id on every response: health, metrics, 404, 405, preflight, RPC", async () => {
    const responses = await Promise.all([
      fetch(`${server.url}/healthz`),
      fetch(`${server.url}/readyz`),
      fetch(`${server.url}/metrics`),
      fetch(`${server.url}/no/such/path`),
      fetch(`${server.url}/v1/quota`, { method: "PUT", headers: guest }),
      fetch(`${server.url}/v1/quota`, {
        method: "OPTIONS",
        headers: { origin: "https://app.example", "access-control-request-method": "GET" },
      }),
      fetch(`${server.url}/vlmrun.agent.v1.AgentService/ListModels`, {
        method: "POST",
        headers: { "content-type": "application/json", ...guest },
        body: "{}",
      }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 404, 405, 204, 200]);
    for (const response of responses) expect(response.headers.get("x-request-id")).toMatch(/^[\w.-]{8,}$/);
  });

  it("echoes a caller's safe X-Request-Id, and the same id reaches the access log", async () => {
    const response = await fetch(`${server.url}/no/such/path`, {
      headers: { "x-request-id": "trace-abc-123" },
    });
    expect(response.headers.get("x-request-id")).toBe("trace-abc-123");
    await response.text();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.logs.some((l) => l.req_id === "trace-abc-123" && l.status === 404)).toBe(true);
  });
});
