import { describe, expect, it } from "vitest";
import { Router } from "../../src/server/router.js";

const handler = () => {};

describe("router", () => {
  it("matches literal paths, templates with decoded params, 405 with the allowed methods, and 404", () => {
    const router = new Router()
      .add("GET", "/healthz", "healthz", handler)
      .add("GET", "/v1/sessions/{id}", "sessions.get", handler)
      .add("DELETE", "/v1/sessions/{id}", "sessions.delete", handler)
      .add("POST", "/v1/openai/chat/completions", "chat", handler);
    expect(router.match("GET", "/healthz")).toMatchObject({ name: "healthz", params: {} });
    expect(router.match("HEAD", "/healthz")).toMatchObject({ name: "healthz" });
    expect(router.match("GET", "/v1/sessions/a%20b")).toMatchObject({
      name: "sessions.get",
      params: { id: "a b" },
    });
    expect(router.match("DELETE", "/v1/sessions/x")).toMatchObject({ name: "sessions.delete" });
    expect(router.match("GET", "/v1/openai/chat/completions")).toEqual({ allowed: ["POST"] });
    expect(router.match("GET", "/v1/sessions/")).toBeUndefined();
    expect(router.match("GET", "/nowhere")).toBeUndefined();
  });

  it("the first route added wins, whether the later one is a literal path or not", () => {
    const router = new Router()
      .add("GET", "/v1/models/{id}", "models.get", handler)
      .add("GET", "/v1/models/special", "models.special", handler)
      .add("GET", "/docs", "docs", handler)
      .add("GET", "/docs", "docs.again", handler);
    expect(router.match("GET", "/v1/models/special")).toMatchObject({
      name: "models.get",
      params: { id: "special" },
    });
    expect(router.match("GET", "/docs")).toMatchObject({ name: "docs" });
  });
});
