import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  type CallToolResult,
  McpError,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { PDFDocument } from "pdf-lib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { loadConfig } from "../../src/config.js";
import { builtinTools } from "../../src/tools/builtin.js";
import { defineTool } from "../../src/tools/tool.js";
import { pngDataUrl } from "../support/images.js";
import { startProbe } from "../support/probe.js";
import { startServer, type TestServer } from "../support/server.js";

/** A tool that runs until its signal aborts: what a long tool looks like to cancellation. */
const slowCalls: { aborted: boolean }[] = [];
const slow = defineTool({
  name: "slow_wait",
  description: "Waits (test tool).",
  toolset: Toolset.CORE,
  needs: ["none"],
  input: { seconds: z.number().min(0).max(60) },
  async execute(input, ctx) {
    const seen = { aborted: false };
    slowCalls.push(seen);
    ctx.progress("waiting");
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, input.seconds * 1000);
      ctx.signal.addEventListener("abort", () => {
        seen.aborted = true;
        clearTimeout(timer);
        resolve();
      });
    });
    return { summary: `waited ${input.seconds} s`, artifacts: [] };
  },
});

let server: TestServer;
let alice: string;
let bob: string;
let limited: string;
let image: string;
const tools = builtinTools(loadConfig({}).fetch).register(slow);

beforeAll(async () => {
  // No upstream model: the local planner answers orion_chat (no network, no weights).
  server = await startServer(
    { ORION_LLM_BASE_URL: "", ORION_LLM_MODEL: "", ORION_LLM_API_KEY: "" },
    { tools },
  );
  alice = (await server.app.apiKeys.create("alice", "enterprise")).key;
  bob = (await server.app.apiKeys.create("bob", "enterprise")).key;
  limited = (await server.app.apiKeys.create("carol", "starter", 3)).key;
  image = await pngDataUrl(200, 100, "#336699");
});
afterAll(() => server.close());

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: "orion-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  return client;
}

const textOf = (result: CallToolResult) =>
  result.content.flatMap((c) => (c.type === "text" ? [c.text] : [])).join("\n");

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } },
};
const postMcp = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body,
  });

describe("MCP server at /mcp (Streamable HTTP, official SDK client)", () => {
  it("refuses callers without credentials, and guests, with 401 and a Bearer challenge", async () => {
    const none = await postMcp(JSON.stringify(initialize));
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer /);
    const guest = await postMcp(JSON.stringify(initialize), { "x-browser-id": "someone" });
    expect(guest.status).toBe(401);
    const badKey = await postMcp(JSON.stringify(initialize), { authorization: "Bearer orion_sk_nope" });
    expect(badKey.status).toBe(401);
    expect(badKey.headers.get("www-authenticate")).toMatch(/invalid_token/);
    await expect(connect("orion_sk_nope")).rejects.toMatchObject({ code: 401 });
  });

  it("lists exactly the tools /v1/tools marks available, plus orion_chat, with file arguments as strings", async () => {
    const client = await connect(alice);
    const { tools: listed } = await client.listTools();
    const rest = (await (
      await fetch(`${server.url}/v1/tools`, { headers: { authorization: `Bearer ${alice}` } })
    ).json()) as { data: { name: string; available: boolean }[] };
    const available = rest.data.filter((t) => t.available).map((t) => t.name);
    expect(rest.data.some((t) => !t.available)).toBe(true); // unconfigured providers exist, and stay out
    expect(listed.map((t) => t.name).sort()).toEqual([...available, "orion_chat"].sort());
    const crop = listed.find((t) => t.name === "crop");
    expect(crop?.inputSchema.properties?.image).toMatchObject({ type: "string" });
    expect(crop?.inputSchema.required).toEqual(["image", "xywh"]);
    await client.close();
  });

  it("runs image_info and crop on a data: URL; the crop is image content of the right size", async () => {
    const client = await connect(alice);
    const info = (await client.callTool({ name: "image_info", arguments: { image } })) as CallToolResult;
    expect(info.isError).toBeFalsy();
    expect(JSON.parse(textOf(info)).result).toMatchObject({ width: 200, height: 100 });

    const cropped = (await client.callTool({
      name: "crop",
      arguments: { image, xywh: [0, 0, 0.5, 0.5] },
    })) as CallToolResult;
    expect(cropped.isError).toBeFalsy();
    const picture = cropped.content.find((c) => c.type === "image");
    expect(picture?.type === "image" && picture.mimeType).toBe("image/png");
    const meta = await sharp(Buffer.from(picture?.type === "image" ? picture.data : "", "base64")).metadata();
    expect([meta.width, meta.height]).toEqual([100, 50]);

    // The crop's artifact id is the caller's: a later call takes it; another caller's call does not.
    const madeId = JSON.parse(textOf(cropped)).artifacts[0] as string;
    const again = (await client.callTool({
      name: "image_info",
      arguments: { image: madeId },
    })) as CallToolResult;
    expect(JSON.parse(textOf(again)).result).toMatchObject({ width: 100, height: 50 });
    const other = await connect(bob);
    const stolen = (await other.callTool({
      name: "image_info",
      arguments: { image: madeId },
    })) as CallToolResult;
    expect(stolen.isError).toBe(true);
    expect(textOf(stolen)).toMatch(/not found/);
    const fileId = (await other.callTool({
      name: "image_info",
      arguments: { image: "file-abc123" },
    })) as CallToolResult;
    expect(fileId.isError).toBe(true);
    expect(textOf(fileId)).toMatch(/file file-abc123 not found/);
    await Promise.all([client.close(), other.close()]);
  });

  it("takes the caller's uploaded file ids (Files API); another caller's is not found", async () => {
    const form = new FormData();
    const png = Buffer.from(image.slice(image.indexOf(",") + 1), "base64");
    form.append("file", new Blob([png], { type: "image/png" }), "picture.png");
    const upload = await fetch(`${server.url}/v1/files?purpose=vision`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice}` },
      body: form,
    });
    expect(upload.status).toBe(201);
    const { id } = (await upload.json()) as { id: string };

    const client = await connect(alice);
    const info = (await client.callTool({ name: "image_info", arguments: { image: id } })) as CallToolResult;
    expect(info.isError).toBeFalsy();
    expect(JSON.parse(textOf(info)).result).toMatchObject({ width: 200, height: 100 });
    const other = await connect(bob);
    const foreign = (await other.callTool({
      name: "image_info",
      arguments: { image: id },
    })) as CallToolResult;
    expect(foreign.isError).toBe(true);
    expect(textOf(foreign)).toMatch(new RegExp(`file ${id} not found`));
    await Promise.all([client.close(), other.close()]);
  });

  it("answers a question about an attached picture through orion_chat, with progress", async () => {
    const client = await connect(alice);
    const progress: string[] = [];
    const result = (await client.callTool(
      { name: "orion_chat", arguments: { prompt: "How big is this image?", files: [image] } },
      undefined,
      { onprogress: (p) => progress.push(p.message ?? "") },
    )) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toMatch(/200×100 png/);
    expect(progress.some((m) => /image_info/.test(m))).toBe(true);
    await client.close();
  });

  it("returns what orion_chat makes as image content", async () => {
    const client = await connect(alice);
    const result = (await client.callTool({
      name: "orion_chat",
      arguments: { prompt: "Crop the top-left quarter of this image", files: [image] },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const picture = result.content.find((c) => c.type === "image");
    const meta = await sharp(Buffer.from(picture?.type === "image" ? picture.data : "", "base64")).metadata();
    expect([meta.width, meta.height]).toEqual([100, 50]);
    await client.close();
  });

  it("answers bad input with isError results (or a JSON-RPC error for an unknown tool) and stays healthy", async () => {
    const probe = startProbe(server.url);
    const client = await connect(alice);
    const unknown = client.callTool({ name: "no_such_tool", arguments: {} });
    await expect(unknown).rejects.toBeInstanceOf(McpError);
    await expect(unknown).rejects.toMatchObject({ code: -32602 });

    const badArgs = (await client.callTool({
      name: "crop",
      arguments: { image, xywh: [0, 0] },
    })) as CallToolResult;
    expect(badArgs.isError).toBe(true);
    expect(textOf(badArgs)).toMatch(/xywh/);

    const pdf = await PDFDocument.create();
    pdf.addPage();
    const pdfUrl = `data:application/pdf;base64,${Buffer.from(await pdf.save()).toString("base64")}`;
    const notImage = (await client.callTool({
      name: "crop",
      arguments: { image: pdfUrl, xywh: [0, 0, 1, 1] },
    })) as CallToolResult;
    expect(notImage.isError).toBe(true);
    expect(textOf(notImage)).toMatch(/image: it is sent as an image but its content is application\/pdf/);

    const privateUrl = (await client.callTool({
      name: "image_info",
      arguments: { image: "http://127.0.0.1:9/x.png" },
    })) as CallToolResult;
    expect(privateUrl.isError).toBe(true);
    expect(textOf(privateUrl)).toMatch(/private, loopback/);

    const badChat = (await client.callTool({
      name: "orion_chat",
      arguments: { prompt: "hi", toolsets: ["nope"] },
    })) as CallToolResult;
    expect(badChat.isError).toBe(true);
    expect(textOf(badChat)).toMatch(/toolsets/);

    const auth = { authorization: `Bearer ${alice}` };
    const huge = JSON.stringify({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: {
        name: "image_info",
        arguments: { image: `data:image/png;base64,${"A".repeat(60 * 1024 * 1024)}` },
      },
    });
    const tooLarge = await postMcp(huge, auth);
    expect(tooLarge.status).toBe(413);
    const malformed = await postMcp('{"jsonrpc": "2.0", "id": 3, "method": ', auth);
    expect(malformed.status).toBe(400);
    const text = await malformed.text();
    expect(JSON.parse(text)).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 } });
    expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    const notJsonRpc = await postMcp('{"hello": "world"}', auth);
    expect(notJsonRpc.status).toBe(400);
    expect(await notJsonRpc.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 } });

    const stillThere = (await client.callTool({
      name: "image_info",
      arguments: { image },
    })) as CallToolResult;
    expect(stillThere.isError).toBeFalsy();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const probed = await probe();
    expect(probed.failures).toBe(0);
    expect(probed.worstMs).toBeLessThan(1_500);
    await client.close();
  });

  it("counts tool calls against the key's rate limit", async () => {
    const client = await connect(limited);
    const results: CallToolResult[] = [];
    for (let i = 0; i < 4; i++) {
      results.push((await client.callTool({ name: "image_info", arguments: { image } })) as CallToolResult);
    }
    expect(results.slice(0, 3).every((r) => !r.isError)).toBe(true);
    expect(results[3]?.isError).toBe(true);
    expect(textOf(results[3] as CallToolResult)).toMatch(
      /limit reached: 3 requests per minute \(retry in \d+ s\)/,
    );
    await client.close();
  });

  it("aborts a running tool when the client cancels it", async () => {
    const client = await connect(alice);
    const controller = new AbortController();
    const before = slowCalls.length;
    const call = client.callTool({ name: "slow_wait", arguments: { seconds: 30 } }, undefined, {
      signal: controller.signal,
    });
    await waitFor(() => slowCalls.length > before);
    controller.abort("the user changed their mind");
    await expect(call).rejects.toThrow();
    await waitFor(() => slowCalls[before]?.aborted === true);
    await client.close();
  });

  it("tells a listening client when the available tools change", async () => {
    const client = await connect(alice);
    let told = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      told++;
    });
    // The SDK client opens the standalone GET stream after initializing; give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    tools.withdraw((t) => t.name === "slow_wait", "withdrawn by the test");
    await waitFor(() => told > 0, 5_000);
    const { tools: listed } = await client.listTools();
    expect(listed.some((t) => t.name === "slow_wait")).toBe(false);
    await client.close();
  });

  it("lists the tools for the Inspector's CLI", async () => {
    // Inspector CLI 0.15.0 (the last for Node 20; ≥ 0.16 needs Node 22 and has --header) sends no
    // headers of its own: a preload adds the Authorization header to its fetches.
    const dir = mkdtempSync(join(tmpdir(), "inspector-"));
    const preload = join(dir, "auth.mjs");
    writeFileSync(
      preload,
      `const f = globalThis.fetch; globalThis.fetch = (u, init = {}) => { const h = new Headers(init.headers); h.set("authorization", "Bearer " + process.env.ORION_TEST_KEY); return f(u, { ...init, headers: h }); };`,
    );
    const { stdout } = await promisify(execFile)(
      "npx",
      ["mcp-inspector-cli", "--cli", `${server.url}/mcp`, "--transport", "http", "--method", "tools/list"],
      {
        env: { ...process.env, ORION_TEST_KEY: alice, NODE_OPTIONS: `--import ${preload}` },
        timeout: 60_000,
      },
    );
    const names = (JSON.parse(stdout) as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(names).toContain("crop");
    expect(names).toContain("orion_chat");
  }, 90_000);
});

async function waitFor(check: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
