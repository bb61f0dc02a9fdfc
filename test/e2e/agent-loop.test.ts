import { fromJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import OpenAI from "openai";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionRequestSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import { defineTool } from "../../src/tools/tool.js";
import {
  defaultScript,
  sendJson,
  streamText,
  streamToolCall,
  type UpstreamCall,
} from "../support/fake-upstream.js";
import { TEST_FETCH_POLICY } from "../support/fetch-policy.js";
import { postChat, sseData, startServer, type TestServer } from "../support/server.js";

let server: TestServer;
let redHalfBlueHalf: string;
beforeAll(async () => {
  server = await startServer({ ORION_API_KEYS: "sk-agent-tests-1=agent:enterprise" });
  const png = await sharp({ create: { width: 200, height: 100, channels: 3, background: "#0000ff" } })
    .composite([
      { input: { create: { width: 100, height: 100, channels: 3, background: "#ff0000" } }, left: 0, top: 0 },
    ])
    .png()
    .toBuffer();
  redHalfBlueHalf = `data:image/png;base64,${png.toString("base64")}`;
});
afterAll(() => server.close());

const browser = { "x-browser-id": "agent-tester" };
type Msg = {
  role: string;
  content: string | null;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
};
const messagesOf = (call: UpstreamCall) => call.body.messages as Msg[];
const attachedId = (call: UpstreamCall) =>
  /img_[0-9a-f]{6}/.exec(messagesOf(call)[0]?.content ?? "")?.[0] as string;
const lastTool = (call: UpstreamCall) => [...messagesOf(call)].reverse().find((m) => m.role === "tool");
const lastToolResult = (call: UpstreamCall) => JSON.parse(lastTool(call)?.content ?? "{}");

/** Each scripted model turn reports this usage; the tests check that the server sums it. */
const TURN_USAGE = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

function reply(call: UpstreamCall, message: Record<string, unknown>, finish: string) {
  return {
    id: "up",
    object: "chat.completion",
    created: 1,
    model: call.body.model,
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }],
    usage: TURN_USAGE,
  };
}

/** Sends a non-streamed model turn that calls tools, each given as [id, name, arguments]. */
function callTools(
  call: UpstreamCall,
  res: import("node:http").ServerResponse,
  calls: [string, string, unknown][],
) {
  const toolCalls = calls.map(([id, name, args]) => ({
    id,
    type: "function",
    function: { name, arguments: typeof args === "string" ? args : JSON.stringify(args) },
  }));
  sendJson(res, 200, reply(call, { content: null, tool_calls: toolCalls }, "tool_calls"));
}

/** A model that crops the left half of the attached image, then names the new artifact. */
function cropThenAnswer(call: UpstreamCall, res: import("node:http").ServerResponse) {
  if (lastTool(call)) {
    const result = lastToolResult(call);
    const text = `Here is the left half: ${result.artifacts?.[0] ?? "none"}`;
    if (call.body.stream) streamText(call, res, [text], TURN_USAGE);
    else sendJson(res, 200, reply(call, { content: text }, "stop"));
    return;
  }
  const args = JSON.stringify({ image: attachedId(call), xywh: [0, 0, 0.5, 1] });
  if (call.body.stream)
    streamToolCall(call, res, { id: "call_crop", name: "crop", arguments: args }, TURN_USAGE);
  else callTools(call, res, [["call_crop", "crop", args]]);
}

const ask = (extra: Record<string, unknown> = {}) => ({
  model: "vlmrun-orion-1:auto",
  toolsets: ["core", "image"],
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "Crop the left half of this image." },
        { type: "image_url", image_url: { url: redHalfBlueHalf } },
      ],
    },
  ],
  ...extra,
});

async function fetchArtifact(objectId: string, sessionId: string, headers: Record<string, string> = browser) {
  return fetch(`${server.url}/v1/artifacts?object_id=${objectId}&session_id=${sessionId}`, { headers });
}

describe("the agent loop over an upstream model", () => {
  it("runs a server tool the model calls, feeds the result back, and returns a fetchable artifact", async () => {
    server.upstream.script(cropThenAnswer);
    try {
      const res = await postChat(server.url, ask(), browser);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        session_id: string;
        choices: { message: { content: string; tool_calls?: unknown }; finish_reason: string }[];
        usage: { total_tokens: number };
      };
      const choice = body.choices[0];
      expect(choice?.finish_reason).toBe("stop");
      expect(choice?.message.tool_calls).toBeUndefined(); // server tool calls are never shown
      const produced = /img_[0-9a-f]{6}/.exec(choice?.message.content ?? "")?.[0] as string;
      expect(produced).toBeDefined();
      expect(body.usage.total_tokens).toBe(30); // both model calls

      const calls = server.upstream.calls.slice(-2);
      const offered = ((calls[0] as UpstreamCall).body.tools as { function: { name: string } }[]).map(
        (t) => t.function.name,
      );
      expect(offered).toEqual(
        expect.arrayContaining(["image_info", "crop", "resize", "rotate", "dominant_colors"]),
      );
      expect(lastToolResult(calls[1] as UpstreamCall)).toMatchObject({
        result: { width: 100, height: 100 },
        artifacts: [produced],
      });
      // The model is a vision model (ORION_LLM_VISION default): it is shown the image it made.
      const shown = messagesOf(calls[1] as UpstreamCall).at(-1) as unknown as {
        role: string;
        content: { type: string; text?: string; image_url?: { url: string } }[];
      };
      expect(shown.role).toBe("user");
      expect(shown.content[0]).toEqual({ type: "text", text: `${produced}:` });
      expect(shown.content[1]?.image_url?.url).toMatch(/^data:image\/png;base64,/);

      const artifact = await fetchArtifact(produced, body.session_id);
      expect(artifact.status).toBe(200);
      expect(artifact.headers.get("content-type")).toBe("image/png");
      const { data, info } = await sharp(Buffer.from(await artifact.arrayBuffer()))
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([100, 100]);
      expect([data[0], data[1], data[2]]).toEqual([255, 0, 0]); // the red half

      const list = (await (
        await fetch(`${server.url}/v1/artifacts/list?session_id=${body.session_id}`, { headers: browser })
      ).json()) as {
        items: { object_id: string }[];
      };
      expect(list.items.map((i) => i.object_id)).toEqual([attachedId(calls[0] as UpstreamCall), produced]);
      // Another caller cannot see them: neither fetch them nor list them (a guest or a key's user).
      expect(
        (await fetchArtifact(produced, body.session_id, { "x-browser-id": "someone-else" })).status,
      ).toBe(404);
      const others: Record<string, string>[] = [
        { "x-browser-id": "someone-else" },
        { authorization: "Bearer sk-agent-tests-1" },
      ];
      for (const other of others) {
        const listed = await fetch(`${server.url}/v1/artifacts/list?session_id=${body.session_id}`, {
          headers: other,
        });
        const text = await listed.text();
        expect([200, 404]).toContain(listed.status);
        if (listed.status === 200) expect(JSON.parse(text)).toMatchObject({ data: [], items: [] });
        for (const id of list.items.map((i) => i.object_id)) expect(text).not.toContain(id);
      }
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("streams the answer with tool events in the chunk extension, never as tool_calls", async () => {
    server.upstream.script(cropThenAnswer);
    try {
      const res = await postChat(
        server.url,
        ask({ stream: true, stream_options: { include_usage: true } }),
        browser,
      );
      const events = sseData(await res.text());
      expect(events.at(-1)).toBe("[DONE]");
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
      const agentEvents = chunks.filter((c) => c.agent_event).map((c) => c.agent_event);
      expect(agentEvents.map((e) => [e.sequence, e.kind, e.tool_name, e.call_id])).toEqual([
        [1, "tool.started", "crop", "call_crop"],
        [2, "tool.finished", "crop", "call_crop"],
      ]);
      expect(agentEvents[1].artifact_ids[0]).toMatch(/^img_[0-9a-f]{6}$/);
      expect(
        chunks.some((c) => c.choices.some((ch: { delta: { tool_calls?: unknown } }) => ch.delta.tool_calls)),
      ).toBe(false);
      const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
      expect(text).toBe(`Here is the left half: ${agentEvents[1].artifact_ids[0]}`);
      expect(chunks.at(-1).usage.total_tokens).toBe(30);
      expect(chunks.filter((c) => c.choices[0]?.finish_reason === "stop")).toHaveLength(1);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("ends with finish_reason length and says so when a variant's cap is reached", async () => {
    // A model that never stops calling tools.
    server.upstream.script((call, res) =>
      callTools(call, res, [[`c${Math.random()}`, "image_info", { image: attachedId(call) }]]),
    );
    try {
      const before = server.upstream.calls.length;
      const body = (await (
        await postChat(server.url, ask({ model: "vlmrun-orion-1:lite" }), browser)
      ).json()) as {
        choices: { message: { content: string }; finish_reason: string }[];
      };
      expect(body.choices[0]?.finish_reason).toBe("length");
      expect(body.choices[0]?.message.content).toContain("caps 3 steps");
      expect(server.upstream.calls.length - before).toBe(3);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("returns invalid tool arguments to the model as an error result", async () => {
    server.upstream.script((call, res) => {
      if (lastTool(call)) {
        sendJson(res, 200, reply(call, { content: `tool said: ${lastToolResult(call).error}` }, "stop"));
      } else {
        callTools(call, res, [["bad", "crop", '{"image":"img_zzz"}']]);
      }
    });
    try {
      const body = (await (await postChat(server.url, ask(), browser)).json()) as {
        choices: { message: { content: string } }[];
      };
      expect(body.choices[0]?.message.content).toMatch(/^tool said: invalid arguments for crop: .*xywh/);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("hands client tool calls back (hybrid mode) after running the server's own", async () => {
    server.upstream.script((call, res) =>
      callTools(call, res, [
        ["srv", "image_info", { image: attachedId(call) }],
        ["cli", "save_to_crm", '{"note":"x"}'],
      ]),
    );
    try {
      const client = new OpenAI({
        apiKey: "sk-agent-tests-1",
        baseURL: `${server.url}/v1/openai`,
        maxRetries: 0,
      });
      const completion = await client.chat.completions.create({
        ...(ask() as object),
        tools: [{ type: "function", function: { name: "save_to_crm", parameters: { type: "object" } } }],
      } as never);
      const choice = (completion as unknown as OpenAI.ChatCompletion).choices[0];
      expect(choice?.finish_reason).toBe("tool_calls");
      expect(choice?.message.tool_calls?.map((t) => t.id)).toEqual(["cli"]);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("refuses an attached data: URL that is not an image, naming the part", async () => {
    const res = await postChat(
      server.url,
      ask({
        messages: [
          {
            role: "user",
            content: [{ type: "image_url", image_url: { url: "data:image/png;base64,bm90IGFuIGltYWdl" } }],
          },
        ],
      }),
      browser,
    );
    expect(res.status).toBe(422);
    expect(((await res.json()) as { detail: { loc: unknown[] }[] }).detail[0]?.loc).toEqual([
      "body",
      "messages",
      0,
      "content",
      0,
      "image_url",
      "url",
    ]);
  });
});

describe("previews, trajectories and cancellation", () => {
  it("adds previews of produced images when preview is true, streaming or not", async () => {
    server.upstream.script(cropThenAnswer);
    try {
      const body = (await (await postChat(server.url, ask({ preview: true }), browser)).json()) as {
        previews: { object_id: string; content_type: string; data_url: string }[];
        choices: { message: { content: string } }[];
      };
      expect(body.previews).toHaveLength(1);
      expect(body.choices[0]?.message.content).toContain(body.previews[0]?.object_id);
      expect(body.previews[0]?.content_type).toBe("image/webp");
      const preview = Buffer.from(body.previews[0]?.data_url.split(",")[1] ?? "", "base64");
      const meta = await sharp(preview).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["webp", 100, 100]);

      const events = sseData(
        await (await postChat(server.url, ask({ preview: true, stream: true }), browser)).text(),
      );
      const withPreviews = events
        .slice(0, -1)
        .map((e) => JSON.parse(e))
        .filter((c) => c.previews);
      expect(withPreviews).toHaveLength(1);
      expect(withPreviews[0].choices).toEqual([]);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("runs n=2 as two independent trajectories, each with its own artifact", async () => {
    server.upstream.script(cropThenAnswer);
    try {
      const body = (await (await postChat(server.url, ask({ n: 2 }), browser)).json()) as {
        choices: { index: number; message: { content: string } }[];
      };
      expect(body.choices.map((c) => c.index)).toEqual([0, 1]);
      const ids = body.choices.map((c) => /img_[0-9a-f]{6}/.exec(c.message.content)?.[0]);
      expect(new Set(ids).size).toBe(2);
      // Every upstream call of a trajectory asks for one choice.
      expect(server.upstream.calls.slice(-4).map((c) => c.body.n)).toEqual([1, 1, 1, 1]);
    } finally {
      server.upstream.script(defaultScript);
    }
  });
});

describe("cancellation", () => {
  it("stops a running tool when the client goes away", async () => {
    const { builtinTools } = await import("../../src/tools/builtin.js");
    const { Toolset } = await import("../../gen/vlmrun/agent/v1/enums_pb.js");
    let toolStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      toolStarted = resolve;
    });
    let toolAborted!: () => void;
    const aborted = new Promise<void>((resolve) => {
      toolAborted = resolve;
    });
    const tools = builtinTools(TEST_FETCH_POLICY).register(
      defineTool({
        name: "slow_scan",
        description: "Takes a long time.",
        toolset: Toolset.IMAGE,
        needs: ["image"],
        input: {},
        execute: (_input, ctx) =>
          new Promise((_, reject) => {
            toolStarted();
            ctx.signal.addEventListener("abort", () => {
              toolAborted();
              reject(new Error("aborted"));
            });
          }),
      }),
    );
    const own = await startServer({}, { tools });
    own.upstream.script((call, res) => callTools(call, res, [["slow", "slow_scan", "{}"]]));
    try {
      const controller = new AbortController();
      const pending = fetch(`${own.url}/v1/openai/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...browser },
        body: JSON.stringify(ask()),
        signal: controller.signal,
      }).catch(() => undefined);
      await started;
      controller.abort();
      await pending;
      await aborted; // hangs (the test times out) if the tool is not cancelled
    } finally {
      await own.close();
    }
  });
});

describe("live tool events", () => {
  it("sends tool.started and tool.progress while the tool is still running", async () => {
    const { builtinTools } = await import("../../src/tools/builtin.js");
    const { Toolset } = await import("../../gen/vlmrun/agent/v1/enums_pb.js");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = false;
    const tools = builtinTools(TEST_FETCH_POLICY).register(
      defineTool({
        name: "gated_scan",
        description: "Waits for the test.",
        toolset: Toolset.IMAGE,
        needs: ["image"],
        input: {},
        async execute(_input, ctx) {
          ctx.progress("warming up");
          await gate;
          finished = true;
          return { summary: "scanned", artifacts: [] };
        },
      }),
    );
    const own = await startServer({}, { tools });
    own.upstream.script((call, res) => {
      if (lastTool(call)) streamText(call, res, ["done"]);
      else streamToolCall(call, res, { id: "g1", name: "gated_scan", arguments: "{}" });
    });
    try {
      const res = await postChat(own.url, ask({ stream: true }), browser);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let text = "";
      while (!text.includes('"tool.started"')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain('"tool.started"');
      while (!text.includes('"tool.progress"')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain('"message":"warming up"');
      expect(finished).toBe(false); // both arrived while the tool was running
      release();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain('"tool.finished"');
      expect(text).toContain("data: [DONE]");
    } finally {
      await own.close();
    }
  });
});

describe("the artifacts list beside the answer", () => {
  /** Like cropThenAnswer, but the model's text never names what was made. */
  function cropThenSayDone(call: UpstreamCall, res: import("node:http").ServerResponse) {
    if (lastTool(call)) {
      if (call.body.stream) streamText(call, res, ["Done."], TURN_USAGE);
      else sendJson(res, 200, reply(call, { content: "Done." }, "stop"));
      return;
    }
    const args = JSON.stringify({ image: attachedId(call), xywh: [0, 0, 0.5, 1] });
    if (call.body.stream)
      streamToolCall(call, res, { id: "call_crop", name: "crop", arguments: args }, TURN_USAGE);
    else callTools(call, res, [["call_crop", "crop", args]]);
  }

  interface Listed {
    id: string;
    content_type: string;
    bytes: number;
    url: string;
  }

  async function expectFetchable(listed: Listed[], sessionId: string) {
    expect(listed).toHaveLength(1);
    const [made] = listed as [Listed];
    expect(made).toMatchObject({ id: expect.stringMatching(/^img_[0-9a-f]{6}$/), content_type: "image/png" });
    expect(made.url).toBe(`/v1/artifacts?object_id=${made.id}&session_id=${sessionId}`);
    const res = await fetch(`${server.url}${made.url}`, { headers: browser });
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(made.bytes);
  }

  it("names every file the run made, though the model's text does not (REST, stream, SDK, gRPC)", async () => {
    server.upstream.script(cropThenSayDone);
    try {
      const res = await postChat(server.url, ask(), browser);
      const body = (await res.json()) as {
        session_id: string;
        artifacts: Listed[];
        choices: { message: { content: string } }[];
      };
      expect(body.choices[0]?.message.content).toBe("Done.");
      await expectFetchable(body.artifacts, body.session_id);

      const streamed = await postChat(
        server.url,
        ask({ stream: true, stream_options: { include_usage: true } }),
        browser,
      );
      const chunks = sseData(await streamed.text())
        .filter((d) => d !== "[DONE]")
        .map(
          (d) =>
            JSON.parse(d) as {
              session_id: string;
              usage?: unknown;
              artifacts?: Listed[];
              choices: unknown[];
            },
        );
      const last = chunks.at(-1);
      expect(last?.choices).toEqual([]);
      expect(last?.usage).toBeDefined();
      expect(chunks.filter((c) => c.artifacts)).toHaveLength(1);
      await expectFetchable(last?.artifacts ?? [], last?.session_id ?? "");

      const sdk = new OpenAI({ baseURL: `${server.url}/v1/openai`, apiKey: "sk-agent-tests-1" });
      const viaSdk = (await sdk.chat.completions.create(ask() as never)) as unknown as {
        artifacts: Listed[];
      };
      expect(viaSdk.artifacts).toHaveLength(1);

      const grpc = createClient(AgentService, createGrpcTransport({ baseUrl: server.url }));
      const rpcReply = await grpc.createChatCompletion(
        fromJson(ChatCompletionRequestSchema, {
          toolsets: ["TOOLSET_CORE", "TOOLSET_IMAGE"],
          messages: [
            {
              role: "ROLE_USER",
              parts: [{ text: "Crop the left half of this image." }, { imageUrl: { url: redHalfBlueHalf } }],
            },
          ],
        }),
        { headers: browser },
      );
      expect(rpcReply.artifacts.map((a) => a.contentType)).toEqual(["image/png"]);
      expect(rpcReply.artifacts[0]?.url).toContain(`session_id=${rpcReply.sessionId}`);
    } finally {
      server.upstream.script(defaultScript);
    }
  });

  it("is empty when nothing was made", async () => {
    const body = (await (
      await postChat(server.url, { messages: [{ role: "user", content: "hi" }] }, browser)
    ).json()) as {
      artifacts: unknown[];
    };
    expect(body.artifacts).toEqual([]);
  });
});
