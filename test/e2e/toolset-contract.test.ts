import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentModel, Role, Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { defaultScript, sendJson, type UpstreamCall } from "../support/fake-upstream.js";
import { pngDataUrl } from "../support/images.js";
import { hello, postChat, startServer, type TestServer } from "../support/server.js";

const offered = (call: UpstreamCall | undefined) =>
  ((call?.body.tools as { function: { name: string } }[] | undefined) ?? [])
    .map((t) => t.function.name)
    .sort();
const systemText = (call: UpstreamCall | undefined) =>
  ((call?.body.messages as { role: string; content: unknown }[]) ?? [])
    .filter((m) => m.role === "system")
    .map((m) => String(m.content))
    .join("\n");
const say = (content: string, extra: Record<string, unknown> = {}) => ({
  messages: [{ role: "user", content }],
  ...extra,
});

describe("the selected tools are offered to an upstream model, files or not, needs respected", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      // Configured, never called here: its tool is offered when the request names the provider.
      ORION_MODEL_GOOGLE_GEMINI_3_IMAGE_URL: "http://127.0.0.1:9/v1",
    });
  });
  afterAll(() => server.close());

  it.each([
    [
      "toolsets: [web], no files",
      say("find the latest release notes of Node.js", { toolsets: ["web"] }),
      ["fetch_page"],
    ],
    [
      "toolsets: [core] with a URL",
      say("load https://example.com/a.csv", { toolsets: ["core"] }),
      ["load_url"],
    ],
    ["toolsets: [viz] with numbers", say("chart North 30, South 60", { toolsets: ["viz"] }), ["chart"]],
    [
      "models: [google-gemini-3-image], and the default core",
      say("draw a red bicycle", { models: ["google-gemini-3-image"] }),
      ["gemini_image", "load_url"],
    ],
    ["no toolsets, not streaming: the default core", say("summarize https://example.com/a"), ["load_url"]],
  ])("%s → exactly the tools whose needs are met", async (_name, body, tools) => {
    const res = await postChat(server.url, body);
    expect(res.status).toBe(200);
    const call = server.upstream.calls.at(-1);
    expect(offered(call)).toEqual(tools);
    // The note names what each tool is for, and stays short.
    const note = systemText(call);
    for (const tool of tools) expect(note).toContain(`${tool} (`);
    expect(note.length).toBeLessThan(600);
  });

  it("offers image tools only when an image is at hand, and names the file", async () => {
    const image = await pngDataUrl(8, 8, "#ff0000");
    const res = await postChat(server.url, {
      toolsets: ["core", "image", "document"],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this" },
            { type: "image_url", image_url: { url: image } },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    const call = server.upstream.calls.at(-1);
    const names = offered(call);
    expect(names).toEqual(expect.arrayContaining(["crop", "image_info", "load_url", "ocr", "redact"]));
    // No document or video is at hand: the tools that need one are not offered.
    for (const needsDocument of ["pdf_text", "pdf_info", "read_text", "docx_text"]) {
      expect(names).not.toContain(needsDocument);
    }
    expect(systemText(call)).toMatch(
      /Files attached to this conversation, usable by id in tool calls: img_[0-9a-f]{6} \(png, 8×8\)/,
    );
  });

  it("keeps a streamed chat that selects nothing a plain pass-through", async () => {
    const res = await postChat(server.url, { ...hello, stream: true });
    expect(res.status).toBe(200);
    await res.text();
    const call = server.upstream.calls.at(-1);
    expect(call?.body.tools).toBeUndefined();
    expect(systemText(call)).toBe("");
  });

  it("offers a streamed chat core's load_url when its words hold a link", async () => {
    const res = await postChat(server.url, say("summarize https://example.com/a", { stream: true }));
    expect(res.status).toBe(200);
    await res.text();
    expect(offered(server.upstream.calls.at(-1))).toEqual(["load_url"]);
  });

  it("says when the upstream refuses a request's tools, naming the setting", async () => {
    server.upstream.script((call, res) =>
      call.body.tools
        ? sendJson(res, 400, {
            error: { message: '"auto" tool choice requires --enable-auto-tool-choice to be set' },
          })
        : defaultScript(call, res),
    );
    try {
      const res = await postChat(server.url, say("search the web for cats", { toolsets: ["web"] }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { detail: string };
      expect(body.detail).toContain("does not accept tools");
      expect(body.detail).toContain("ORION_LLM_TOOLS=off");
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("shows each tool's needs in GET /v1/tools and ListModels", async () => {
    const listed = (await (await fetch(`${server.url}/v1/tools`)).json()) as {
      data: { name: string; needs: string[] }[];
    };
    const needs = Object.fromEntries(listed.data.map((t) => [t.name, t.needs]));
    expect(needs).toMatchObject({
      crop: ["image"],
      pdf_text: ["document"],
      ocr: ["image", "document"],
      sample_frames: ["video"],
      fetch_page: ["none"],
      load_url: ["none"],
      gemini_image: ["none"],
      sam3_segment: ["image"],
    });
    const client = createClient(
      AgentService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    const models = await client.listModels({});
    expect(models.tools.find((t) => t.name === "trim")?.needs).toEqual(["video"]);
  });
});

describe("ORION_LLM_TOOLS=off", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ORION_LLM_TOOLS_PRO: "off" });
  });
  afterAll(() => server.close());

  it("refuses a request that needs server tools with a 400 naming the setting, before any upstream call", async () => {
    const before = server.upstream.calls.length;
    const res = await postChat(
      server.url,
      say("find cat pictures", { model: "vlmrun-orion-1:pro", toolsets: ["web"] }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { detail: string; error: { code: string } };
    expect(body.detail).toContain("ORION_LLM_TOOLS_PRO=off");
    expect(body.detail).toContain("fetch_page");
    expect(server.upstream.calls.length).toBe(before);
    const client = createClient(
      AgentService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    );
    const error = await client
      .createChatCompletion({
        messages: [{ role: Role.USER, content: "hi" }],
        model: AgentModel.ORION_1_PRO,
        toolsets: [Toolset.WEB],
      })
      .catch((e: unknown) => ConnectError.from(e));
    expect((error as ConnectError).code).toBe(Code.FailedPrecondition);
  });

  it("still serves plain chats on that variant, and tools on the others", async () => {
    expect((await postChat(server.url, { ...hello, model: "vlmrun-orion-1:pro" })).status).toBe(200);
    expect((await postChat(server.url, say("find cats", { toolsets: ["web"] }))).status).toBe(200);
    expect(offered(server.upstream.calls.at(-1))).toEqual(["fetch_page"]);
  });
});
