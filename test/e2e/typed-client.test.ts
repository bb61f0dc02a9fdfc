import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrionClient as createBrowserClient } from "../../src/client/browser.js";
import { AgentModel, createOrionClient, Role } from "../../src/client/node.js";
import { startServer, type TestServer } from "../support/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ ORION_API_KEYS: "sk-client-test-key=client-tester:enterprise" });
});
afterAll(() => server.close());

const ask = { model: AgentModel.ORION_1_AUTO, messages: [{ role: Role.USER, content: "hi" }] };

describe("orion-server/client: createOrionClient", () => {
  for (const transport of ["connect", "grpc", "grpc-web"] as const) {
    it(`chats and streams over ${transport} from Node, as a guest and with a key`, async () => {
      const guest = createOrionClient({ baseUrl: server.url, transport, browserId: `client-${transport}` });
      const reply = await guest.createChatCompletion(ask);
      expect(reply.choices[0]?.message?.content).toBe("Hello from the fake upstream.");
      expect((await guest.getQuota({})).callerKind).toBe("guest");

      const keyed = createOrionClient({ baseUrl: server.url, transport, apiKey: () => "sk-client-test-key" });
      let text = "";
      for await (const chunk of keyed.streamChatCompletion(ask))
        text += chunk.choices[0]?.delta?.content ?? "";
      expect(text).toBe("Hello from the fake upstream.");
      expect((await keyed.getQuota({})).plan).toBe("enterprise");
    });
  }

  it("the browser build speaks Connect and gRPC-Web over fetch, and says why not gRPC", async () => {
    const client = createBrowserClient({
      baseUrl: server.url,
      transport: "grpc-web",
      browserId: "client-browser",
    });
    expect((await client.listModels({})).models.length).toBeGreaterThan(0);
    expect(() => createBrowserClient({ baseUrl: server.url, transport: "grpc" })).toThrow(/needs Node/);
  });

  it("is what the package exports as orion-server/client (built by npm ci)", async () => {
    const entry = fileURLToPath(import.meta.resolve("orion-server/client"));
    expect(entry).toMatch(/dist\/src\/client\/node\.js$/);
    expect(existsSync(entry.replace(/\.js$/, ".d.ts"))).toBe(true);
    const built = (await import("orion-server/client")) as typeof import("../../src/client/node.js");
    const client = built.createOrionClient({ baseUrl: server.url, browserId: "client-built" });
    expect((await client.createChatCompletion(ask)).choices[0]?.message?.content).toBe(
      "Hello from the fake upstream.",
    );
  });
});
