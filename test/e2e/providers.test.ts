import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { CATALOG, providerTools } from "../../src/tools/providers/catalog.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import type { ToolResult } from "../../src/tools/tool.js";
import { wireNames } from "../../src/wire/names.js";
import { streamText, streamToolCall, type UpstreamCall } from "../support/fake-upstream.js";
import { type ProviderDouble, startProviderDouble } from "../support/provider-double.js";
import { freePort } from "../support/redis.js";
import { postChat, startServer } from "../support/server.js";
import { toolHarness } from "../support/tool-harness.js";
import { makeVideo } from "../support/videos.js";

const ids = CATALOG.map((e) => wireNames.model.toWire(e.provider) as string);
const stem = (id: string) => id.toUpperCase().replace(/[^A-Z0-9]+/g, "_");

let double: ProviderDouble;
let photo: string;
let video: string;
const h = toolHarness();

/** Every provider pointed at the double: chat ones at its /v1 base, the others at its root. */
function registryFor(extra: Record<string, string> = {}) {
  const env: Record<string, string> = {};
  for (const entry of CATALOG) {
    const id = wireNames.model.toWire(entry.provider) as string;
    env[`ORION_MODEL_${stem(id)}_URL`] = entry.protocol === "openai-chat" ? double.openaiUrl : double.url;
    env[`ORION_MODEL_${stem(id)}_API_KEY`] = `key-${id}`;
  }
  return new ToolRegistry().register(...providerTools(loadConfig({ ...env, ...extra }).providers));
}

async function run(
  registry: ToolRegistry,
  name: string,
  args: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<ToolResult> {
  const tool = registry.get(name);
  if (!tool) throw new Error(`no tool ${name}`);
  const checked = tool.check(args);
  if (!checked.ok) throw new Error(checked.problems.join("; "));
  return tool.execute(checked.input, signal ? { ...h.ctx, signal } : h.ctx);
}

beforeAll(async () => {
  double = await startProviderDouble();
  photo = await h.put(
    await sharp({ create: { width: 64, height: 48, channels: 3, background: "#808080" } })
      .png()
      .toBuffer(),
    "image/png",
  );
  video = await h.put(makeVideo(), "video/mp4");
}, 60_000);
afterAll(() => double?.close());

describe("the 12 provider adapters against a double speaking their protocols", () => {
  it("adds exactly one tool per configured provider, none when nothing is configured", () => {
    expect(
      registryFor()
        .select(
          [],
          CATALOG.map((e) => e.provider),
        )
        .map((t) => t.provider),
    ).toHaveLength(12);
    expect(providerTools(loadConfig({}).providers)).toEqual([]);
  });

  it.each(["gemini_analyze", "gemini_robotics_er", "cosmos_reason", "qwen3_vl"])(
    "%s sends the prompt and media over the OpenAI chat protocol with the key and model",
    async (tool) => {
      const registry = registryFor({ ORION_MODEL_QWEN_QWEN3_VL_8B_MODEL: "Qwen/Qwen3-VL-8B-Instruct" });
      const result = await run(registry, tool, { prompt: "What is shown?", images: [photo], video });
      expect((result.data as { text: string }).text).toBe(
        "saw 1 image(s) and 1 video(s); asked: What is shown?",
      );
      const sent = double.requests.at(-1);
      expect(sent?.path).toBe("/v1/chat/completions");
      const id = registry.get(tool)?.provider;
      const wire = wireNames.model.toWire(id as never) as string;
      expect(sent?.authorization).toBe(`Bearer key-${wire}`);
      expect(sent?.body.model).toBe(tool === "qwen3_vl" ? "Qwen/Qwen3-VL-8B-Instruct" : wire);
      const messages = sent?.body.messages as { content: { type: string; image_url?: { url: string } }[] }[];
      const parts = messages[0]?.content;
      expect(parts?.[1]?.image_url?.url).toMatch(/^data:image\/png;base64,/);
    },
  );

  it("dots_ocr asks for the document's text when no prompt is given", async () => {
    const result = await run(registryFor(), "dots_ocr", { images: [photo] });
    expect((result.data as { text: string }).text).toContain("asked: Extract all text");
  });

  it("sam2_segment and sam3_segment return mask images from the infer contract", async () => {
    const registry = registryFor();
    const sam2 = await run(registry, "sam2_segment", { image: photo, points: [[0.5, 0.5, 1]] });
    const masks = (sam2.data as { masks: { mask: string; score: number; xywh: number[] }[] }).masks;
    expect(masks[0]).toMatchObject({ score: 0.93, xywh: [0.25, 0.25, 0.5, 0.5] });
    const meta = await sharp(h.bytes(masks[0]?.mask as string)).metadata();
    expect([meta.width, meta.height]).toEqual([64, 48]);
    expect(double.requests.at(-1)?.body).toMatchObject({
      task: "segment",
      params: { points: [[0.5, 0.5, 1]] },
    });
    const sam3 = await run(registry, "sam3_segment", { image: photo, prompt: "grey square" });
    expect(sam3.artifacts).toHaveLength(1);
    expect(double.requests.at(-1)?.body).toMatchObject({ params: { prompt: "grey square" } });
    expect(registry.check("sam3_segment", { image: photo })).toEqual([
      "arguments must have required property 'prompt'",
    ]);
  });

  it("depth_estimate, sam3d_reconstruct and omniparser_parse_ui return their artifacts and data", async () => {
    const registry = registryFor();
    const depth = await run(registry, "depth_estimate", { image: photo });
    expect(depth.data).toMatchObject({ min: 0.5, max: 12.25, unit: "m" });
    const mask = (await run(registry, "sam2_segment", { image: photo })).artifacts[0]?.id as string;
    const recon = await run(registry, "sam3d_reconstruct", { image: photo, mask });
    expect(recon.artifacts[0]?.id).toMatch(/^recon_/);
    expect(recon.artifacts[0]?.contentType).toBe("model/gltf-binary");
    // The mask went to the provider as the file itself, not as our artifact id.
    const params = double.requests.at(-1)?.body.params as { mask: { media_type: string } };
    expect(params.mask.media_type).toBe("image/png");
    const ui = await run(registry, "omniparser_parse_ui", { image: photo });
    expect(ui.data).toMatchObject({ elements: [{ type: "button", text: "Sign in", interactable: true }] });
  });

  it("gemini_image and veo_video run as jobs: polled to the end, with progress", async () => {
    const registry = registryFor();
    h.progress.length = 0;
    const image = await run(registry, "gemini_image", {
      prompt: "a green card",
      image: photo,
      width: 96,
      height: 64,
    });
    expect((await sharp(h.bytes((image.data as { image: string }).image)).metadata()).width).toBe(96);
    expect(h.progress.some((p) => /running \d+%/.test(p))).toBe(true);
    const polls = double.requests.filter((r) => r.method === "GET" && r.path.startsWith("/v1/jobs/"));
    expect(polls.length).toBeGreaterThanOrEqual(3);
    const clip = await run(registry, "veo_video", { prompt: "waves", duration_seconds: 4 });
    expect((clip.data as { video: string }).video).toMatch(/^vid_/);
  });

  it("cancelling a request cancels the provider's job", async () => {
    double.jobPolls = 1000;
    try {
      const controller = new AbortController();
      const polledBefore = double.requests.filter((r) => r.method === "GET").length;
      const pending = run(registryFor(), "veo_video", { prompt: "a long film" }, controller.signal);
      await expect
        .poll(() => double.requests.filter((r) => r.method === "GET").length)
        .toBeGreaterThan(polledBefore);
      const created = double.requests.filter((r) => r.method === "POST" && r.path === "/v1/jobs").length;
      controller.abort(new Error("client went away"));
      await expect(pending).rejects.toThrow("client went away");
      await expect.poll(() => double.requests.at(-1)?.method).toBe("DELETE");
      expect(double.requests.at(-1)?.path).toMatch(/^\/v1\/jobs\/job-\d+$/);
      expect(created).toBeGreaterThan(0);
    } finally {
      double.jobPolls = 2;
    }
  });

  it("turns provider errors, odd answers, silence and absence into clear tool errors", async () => {
    const registry = registryFor({ ORION_PROVIDER_TIMEOUT_MS: "300" });
    double.mode = "error";
    await expect(run(registry, "depth_estimate", { image: photo })).rejects.toThrow(
      "depth-anything-3 refused the request (503): model is loading, try again",
    );
    double.mode = "malformed";
    await expect(run(registry, "qwen3_vl", { prompt: "hi", images: [photo] })).rejects.toThrow(
      /not an OpenAI chat completion/,
    );
    await expect(run(registry, "sam2_segment", { image: photo })).rejects.toThrow(
      /answered "segment" in an unexpected shape/,
    );
    double.mode = "hang";
    await expect(run(registry, "omniparser_parse_ui", { image: photo })).rejects.toThrow(
      "microsoft-omniparser-v2 did not answer within 0.3 s",
    );
    double.mode = "ok";
    const gone = new ToolRegistry().register(
      ...providerTools(
        loadConfig({ ORION_MODEL_META_SAM2_URL: `http://127.0.0.1:${await freePort()}` }).providers,
      ),
    );
    await expect(run(gone, "sam2_segment", { image: photo })).rejects.toThrow(
      /meta-sam2 could not be reached \(ECONNREFUSED\)/,
    );
  });
});

describe("providers through the server", () => {
  it("ListModels marks configured providers, the model is offered their tools, and a missing one is a 400", async () => {
    const server = await startServer({ ORION_MODEL_META_SAM3_URL: double.url });
    try {
      const models = await fetch(`${server.url}/vlmrun.agent.v1.AgentService/ListModels`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      }).then(
        (r) => r.json() as Promise<{ providers: { id: string; available?: boolean; setting: string }[] }>,
      );
      expect(models.providers.find((p) => p.id === "meta-sam3")?.available).toBe(true);
      expect(models.providers.find((p) => p.id === "meta-sam2")?.available).toBeFalsy();
      expect(models.providers.map((p) => p.id).sort()).toEqual([...ids].sort());

      server.upstream.script((call: UpstreamCall, res) => {
        const messages = call.body.messages as { role: string; content: unknown }[];
        const toolMessage = messages.find((m) => m.role === "tool");
        if (toolMessage)
          return void streamText(call, res, [
            `mask: ${String(toolMessage.content)
              .match(/img_[0-9a-f]{6}/g)
              ?.at(-1)}`,
          ]);
        const offered = (call.body.tools as { function: { name: string } }[]).map((t) => t.function.name);
        const attached = /img_[0-9a-f]{6}/.exec(JSON.stringify(messages))?.[0];
        if (!offered.includes("sam3_segment") || !attached)
          return void streamText(call, res, [`offered: ${offered.join(",")}`]);
        streamToolCall(call, res, {
          id: "c1",
          name: "sam3_segment",
          arguments: JSON.stringify({ image: attached, prompt: "square" }),
        });
      });
      const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#808080" } })
        .png()
        .toBuffer();
      const res = await postChat(
        server.url,
        {
          models: ["meta-sam3"],
          toolsets: ["core"],
          stream: true,
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: "segment the square" },
                { type: "image_url", image_url: { url: `data:image/png;base64,${png.toString("base64")}` } },
              ],
            },
          ],
        },
        { "x-browser-id": "providers-test" },
      );
      const body = await res.text();
      expect(res.status).toBe(200);
      expect(body).toMatch(/mask: img_[0-9a-f]{6}/);
      expect(double.requests.at(-1)?.body).toMatchObject({ task: "segment", params: { prompt: "square" } });

      const missing = await postChat(
        server.url,
        { models: ["meta-sam2"], messages: [{ role: "user", content: "hi" }] },
        { "x-browser-id": "providers-test" },
      );
      expect(missing.status).toBe(400);
      expect(JSON.stringify(await missing.json())).toContain("ORION_MODEL_META_SAM2_URL");
    } finally {
      await server.close();
    }
  });
});
