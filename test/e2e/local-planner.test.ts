import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/server/app.js";
import { pngDataUrl } from "../support/images.js";
import { postChat, sseData, startBareServer } from "../support/server.js";

let app: App;
let url: string;
let image: string;
beforeAll(async () => {
  // Nothing configured: no upstream model, the embedded store.
  ({ app, url } = await startBareServer());
  image = await pngDataUrl(200, 100, "#336699");
});
afterAll(() => app.shutdown(0));

const browser = { "x-browser-id": "planner-tester" };
const withImage = (text: string, extra: Record<string, unknown> = {}) => ({
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text },
        { type: "image_url", image_url: { url: image } },
      ],
    },
  ],
  ...extra,
});
type Reply = {
  session_id: string;
  model: string;
  choices: { message: { content: string }; finish_reason: string }[];
};

async function imageSize(objectId: string, sessionId: string) {
  const res = await fetch(`${url}/v1/artifacts?object_id=${objectId}&session_id=${sessionId}`, {
    headers: browser,
  });
  expect(res.headers.get("content-type")).toBe("image/png");
  const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
  return [meta.width, meta.height];
}

describe("the built-in local planner (no configuration at all)", () => {
  it("answers 'how big is this image' with the image's real size, using a real tool", async () => {
    const res = await postChat(url, withImage("How big is this image?"), browser);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Reply;
    expect(body.choices[0]?.message.content).toMatch(/^img_[0-9a-f]{6}: 200×100 png, \d+ bytes\.$/);
    expect(body.choices[0]?.finish_reason).toBe("stop");
  });

  it("streams a crop of the top-left quarter with tool events, and the artifact is real", async () => {
    const res = await postChat(
      url,
      withImage("Crop the top-left quarter of this image", { stream: true }),
      browser,
    );
    const chunks = sseData(await res.text())
      .slice(0, -1)
      .map((e) => JSON.parse(e));
    const events = chunks.filter((c) => c.agent_event).map((c) => c.agent_event);
    expect(events.map((e) => [e.kind, e.tool_name])).toEqual([
      ["tool.started", "crop"],
      ["tool.finished", "crop"],
    ]);
    const produced = events[1].artifact_ids[0] as string;
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text).toContain(produced);
    expect(await imageSize(produced, chunks[0].session_id)).toEqual([100, 50]);
    // The tool events stay with the answer in the session (progress messages do not).
    const session = (await (
      await fetch(`${url}/v1/sessions/${chunks[0].session_id}`, { headers: browser })
    ).json()) as { messages: { role: string; tool_events?: { kind: string; tool_name: string }[] }[] };
    const answer = session.messages.at(-1);
    expect(answer?.role).toBe("assistant");
    expect(answer?.tool_events?.map((e) => [e.kind, e.tool_name])).toEqual([
      ["tool.started", "crop"],
      ["tool.finished", "crop"],
    ]);
  });

  it("rotates by the degrees the user names", async () => {
    const body = (await (
      await postChat(url, withImage("rotate this image by 90 degrees", { toolsets: ["image"] }), browser)
    ).json()) as Reply;
    const produced = /→ (img_[0-9a-f]{6})/.exec(body.choices[0]?.message.content ?? "")?.[1] as string;
    expect(await imageSize(produced, body.session_id)).toEqual([100, 200]);
  });

  it("says what it can do, from the enabled tools", async () => {
    const body = (await (
      await postChat(
        url,
        withImage("Who are you and what can you do?", { toolsets: ["core", "image"] }),
        browser,
      )
    ).json()) as Reply;
    const content = body.choices[0]?.message.content ?? "";
    for (const tool of ["image_info", "crop", "resize", "rotate", "dominant_colors"])
      expect(content).toContain(tool);
  });

  it("says what is missing instead of guessing", async () => {
    const body = (await (
      await postChat(url, withImage("crop this image", { toolsets: ["image"] }), browser)
    ).json()) as Reply;
    expect(body.choices[0]?.message.content).toContain("I need xywh");
  });

  it("explains itself on a plain text chat, naming the setting for a real model", async () => {
    const body = (await (
      await postChat(url, { messages: [{ role: "user", content: "Tell me a story" }] }, browser)
    ).json()) as Reply;
    expect(body.choices[0]?.message.content).toMatch(/could not match|ORION_LLM_BASE_URL/);
  });

  it("says how to enable a toolset a non-streaming request did not get", async () => {
    // Non-streaming without toolsets means `core` only, so crop is not on offer.
    const crop = (await (
      await postChat(url, withImage("Crop the top-left quarter"), browser)
    ).json()) as Reply;
    expect(crop.choices[0]?.message.content).toContain('"image" to crop');
  });

  it("refuses logprobs with a 400 instead of dropping them", async () => {
    const res = await postChat(url, withImage("how big is this image", { logprobs: 2 }), browser);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain("logprobs");
  });

  it("reports the local backend in ListModels", async () => {
    const models = (await (await fetch(`${url}/v1/openai/models`)).json()) as { data: { backend: string }[] };
    expect(new Set(models.data.map((m) => m.backend))).toEqual(new Set(["local"]));
  });
});

describe("text files with the local planner", () => {
  it("reads an attached text file and answers with its text", async () => {
    const doc = `data:text/html;base64,${Buffer.from("<html><body><h1>Quarterly report</h1><p>Revenue grew &amp; costs fell.</p><script>x()</script></body></html>").toString("base64")}`;
    const res = await postChat(
      url,
      {
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Read the text of this file" },
              { type: "file_url", file_url: { url: doc } },
            ],
          },
        ],
      },
      browser,
    );
    const body = (await res.json()) as Reply;
    const content = body.choices[0]?.message.content ?? "";
    expect(content).toMatch(/^read \d+ characters from doc_[0-9a-f]{6}:/);
    expect(content).toContain("Quarterly report");
    expect(content).toContain("Revenue grew & costs fell.");
    expect(content).not.toContain("x()");
    // The attached HTML is an artifact of the session, served as data, never as a live page.
    const id = /doc_[0-9a-f]{6}/.exec(content)?.[0] as string;
    const artifact = await fetch(`${url}/v1/artifacts?object_id=${id}&session_id=${body.session_id}`, {
      headers: browser,
    });
    expect(artifact.headers.get("content-type")).toBe("text/html");
    expect(artifact.headers.get("x-content-type-options")).toBe("nosniff");
    expect(artifact.headers.get("content-security-policy")).toContain("sandbox");
  });
});

describe("defaults from vlmrun.yaml", () => {
  it("applies the default toolsets to requests that name none", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "orion-yaml-"));
    writeFileSync(join(dir, "vlmrun.yaml"), "model: vlmrun-orion-1:fast\ntoolsets:\n  - image\n");
    const { app: withDefaults, url: base } = await startBareServer({}, dir);
    try {
      // Non-streaming with no toolsets would be `core` only; the default makes it `image`.
      const body = (await (
        await postChat(base, withImage("rotate this image by 90 degrees"), browser)
      ).json()) as Reply;
      expect(body.model).toBe("vlmrun-orion-1:fast");
      expect(body.choices[0]?.message.content).toMatch(/^rotated img_[0-9a-f]{6} by 90°/);
    } finally {
      await withDefaults.shutdown(0);
    }
  });
});
