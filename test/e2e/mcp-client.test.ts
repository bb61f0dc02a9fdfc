import http from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, loadConfig } from "../../src/config.js";
import { sendJson, type UpstreamCall } from "../support/fake-upstream.js";
import { postChat, startServer, type TestServer } from "../support/server.js";

/** An outside MCP server made with the SDK, as a team would run one for its own systems. */
interface OutsideServer {
  url: string;
  authorizations: (string | undefined)[];
  calls: string[];
  close(): Promise<void>;
}

async function startOutsideServer(
  tools: (server: McpServer, calls: string[]) => void,
): Promise<OutsideServer> {
  const authorizations: (string | undefined)[] = [];
  const calls: string[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const httpServer = http.createServer(async (req, res) => {
    authorizations.push(req.headers.authorization);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
    // Stateless, as the SDK's examples serve it: a fresh server and transport per request.
    const server = new McpServer({ name: "outside", version: "1.0.0" });
    tools(server, calls);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => void server.close());
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  httpServer.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    authorizations,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        httpServer.close(() => resolve());
      }),
  };
}

let acme: OutsideServer;
let flaky: OutsideServer;
let unallowed: OutsideServer;
let server: TestServer;

beforeAll(async () => {
  acme = await startOutsideServer((s, calls) => {
    s.registerTool(
      "weather",
      { description: "Today's weather in a city.", inputSchema: { city: z.string() } },
      async ({ city }) => {
        calls.push(`weather:${city}`);
        return { content: [{ type: "text", text: `It is sunny in ${city}, 21 °C.` }] };
      },
    );
    s.registerTool("hang", { description: "Never answers.", inputSchema: {} }, async (_args, extra) => {
      calls.push("hang");
      await new Promise<void>((resolve) => extra.signal.addEventListener("abort", () => resolve()));
      return { content: [{ type: "text", text: "too late" }] };
    });
    s.registerTool("refuse", { description: "Always fails.", inputSchema: {} }, async () => ({
      isError: true,
      content: [{ type: "text", text: "the ledger is locked" }],
    }));
  });
  flaky = await startOutsideServer((s) => {
    s.registerTool("ping", { description: "Answers pong.", inputSchema: {} }, async () => ({
      content: [{ type: "text", text: "pong" }],
    }));
  });
  unallowed = await startOutsideServer((s) => {
    s.registerTool("secret", { description: "Must not be reachable.", inputSchema: {} }, async () => ({
      content: [{ type: "text", text: "leaked" }],
    }));
  });
  const hostOf = (url: string) => new URL(url).host;
  server = await startServer({
    ORION_MCP_SERVERS: JSON.stringify([
      { name: "acme", url: acme.url, headers: { authorization: "Bearer acme-secret" }, timeout_ms: 1_500 },
      { name: "flaky", url: flaky.url, timeout_ms: 1_500 },
      { name: "private", url: unallowed.url, timeout_ms: 1_500 },
    ]),
    // The in-test servers are on loopback: only these two are allowed (the third shows the guard).
    ORION_URL_ALLOW_HOSTS: `${hostOf(acme.url)},${hostOf(flaky.url)}`,
  });
});
afterAll(async () => {
  await server.close();
  await Promise.all([acme.close(), flaky.close(), unallowed.close()]);
});

const browser = { "x-browser-id": "mcp-client-tester" };
type Msg = { role: string; content: string | null };
const messagesOf = (call: UpstreamCall) => call.body.messages as Msg[];
const lastTool = (call: UpstreamCall) => [...messagesOf(call)].reverse().find((m) => m.role === "tool");

/** A model that calls one tool, then answers with what the tool said. */
function callThenEcho(name: string, args: unknown) {
  return (call: UpstreamCall, res: http.ServerResponse) => {
    const tool = lastTool(call);
    const message = tool
      ? { role: "assistant", content: `The tool said: ${tool.content}` }
      : {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name, arguments: JSON.stringify(args) } }],
        };
    sendJson(res, 200, {
      id: "up",
      object: "chat.completion",
      created: 1,
      model: call.body.model,
      choices: [{ index: 0, message, finish_reason: tool ? "stop" : "tool_calls" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
  };
}

const chat = (toolsets: string[]) => ({ messages: [{ role: "user", content: "Use the tool." }], toolsets });
type Reply = { choices: { message: { content: string } }[] };

describe("outside MCP servers' tools for the agent (ORION_MCP_SERVERS)", () => {
  it("lists an outside server's tools in /v1/tools under mcp:<name>, and not a server the URL guard refuses", async () => {
    const res = await fetch(`${server.url}/v1/tools`, { headers: browser });
    const tools = ((await res.json()) as { data: { name: string; toolset: string; available: boolean }[] })
      .data;
    expect(tools.find((t) => t.name === "acme__weather")).toMatchObject({
      toolset: "mcp:acme",
      available: true,
    });
    expect(tools.find((t) => t.name === "flaky__ping")).toMatchObject({ toolset: "mcp:flaky" });
    expect(tools.some((t) => t.name.startsWith("private__"))).toBe(false);
    expect(unallowed.authorizations).toHaveLength(0); // never connected to
    expect(JSON.stringify(server.logs)).toMatch(/"mcp_server":"private".*private, loopback/);
    expect(acme.authorizations.every((a) => a === "Bearer acme-secret")).toBe(true);
  });

  it("offers the tools only when the chat names the toolset, and the agent calls one through the model", async () => {
    server.upstream.script(callThenEcho("acme__weather", { city: "Paris" }));
    const before = server.upstream.calls.length;
    const res = await postChat(server.url, chat(["mcp:acme"]), browser);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Reply;
    expect(body.choices[0]?.message.content).toMatch(/It is sunny in Paris, 21 °C\./);
    expect(acme.calls).toContain("weather:Paris");
    const first = server.upstream.calls[before];
    const offered = ((first?.body.tools ?? []) as { function: { name: string } }[]).map(
      (t) => t.function.name,
    );
    // Named alone, mcp:acme is the whole selection (no default core tools beside it).
    expect(offered.sort()).toEqual(["acme__hang", "acme__refuse", "acme__weather"]);
    expect(offered.some((n) => n.startsWith("flaky__"))).toBe(false);

    const unnamed = await postChat(server.url, chat(["core"]), browser);
    expect(unnamed.status).toBe(200);
    const plain = server.upstream.calls.at(-1)?.body.tools as { function: { name: string } }[] | undefined;
    expect((plain ?? []).some((t) => t.function.name.startsWith("acme__"))).toBe(false);
  });

  it("turns a hanging tool into a tool error within the timeout, and the agent carries on", async () => {
    server.upstream.script(callThenEcho("acme__hang", {}));
    const started = Date.now();
    const res = await postChat(server.url, chat(["mcp:acme"]), browser);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
    const body = (await res.json()) as Reply;
    expect(body.choices[0]?.message.content).toMatch(/acme__hang did not finish within 1.5 s/);
  });

  it("gives the model the outside tool's own error, and a dead server's failure", async () => {
    server.upstream.script(callThenEcho("acme__refuse", {}));
    const refused = (await (await postChat(server.url, chat(["mcp:acme"]), browser)).json()) as Reply;
    expect(refused.choices[0]?.message.content).toMatch(/the ledger is locked/);

    await flaky.close();
    server.upstream.script(callThenEcho("flaky__ping", {}));
    const res = await postChat(server.url, chat(["mcp:flaky"]), browser);
    expect(res.status).toBe(200);
    const dead = (await res.json()) as Reply;
    expect(dead.choices[0]?.message.content).toMatch(/MCP server flaky failed/);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("refuses a toolset naming an MCP server that is not configured", async () => {
    const res = await postChat(server.url, chat(["mcp:nope"]), browser);
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toMatch(
      /mcp:nope.*ORION_MCP_SERVERS names mcp:acme, mcp:flaky, mcp:private/,
    );
  });

  it("checks ORION_MCP_SERVERS at start, one line per problem", () => {
    const bad = (value: string) => () => loadConfig({ ORION_MCP_SERVERS: value });
    expect(bad("not json")).toThrow(ConfigError);
    expect(bad("not json")).toThrow(/^ORION_MCP_SERVERS must be a JSON array/);
    expect(bad('[{"name":"Bad Name","url":"https://x"}]')).toThrow(/ORION_MCP_SERVERS\[0\]\.name must be/);
    expect(bad('[{"name":"a","url":"ftp://x"}]')).toThrow(
      /ORION_MCP_SERVERS\[0\]\.url must be an http\(s\) URL/,
    );
    expect(bad('[{"name":"a","url":"https://x"},{"name":"a","url":"https://y"}]')).toThrow(
      /\[1\]\.name "a" is used twice/,
    );
    expect(bad('[{"name":"a","url":"https://x","headers":{"k":1}}]')).toThrow(/\[0\]\.headers must be/);
    expect(bad('[{"name":"a","url":"https://x","timeout_ms":5}]')).toThrow(/\[0\]\.timeout_ms must be/);
    expect(bad('[{"name":"a","url":"https://x","extra":1}]')).toThrow(/unknown field "extra"/);
    for (const check of [bad("not json"), bad('[{"name":"a"}]')]) {
      try {
        check();
      } catch (error) {
        expect((error as Error).message).not.toContain("\n");
      }
    }
    expect(
      loadConfig({ ORION_MCP_SERVERS: '[{"name":"ok-1","url":"https://mcp.example.com/mcp/"}]' }).mcpServers,
    ).toEqual([{ name: "ok-1", url: "https://mcp.example.com/mcp", headers: {}, timeoutMs: 60_000 }]);
  });
});
