/// <reference lib="dom" />
// Code inside page.evaluate() runs in the browser, so this file also sees the DOM types.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactPath, buildPlayground, launchChromium } from "../support/browser.js";
import { streamText, streamToolCall, type UpstreamCall } from "../support/fake-upstream.js";
import { startServer, type TestServer } from "../support/server.js";

const API_KEY = "sk-playground-tester";
const GUEST_LIMIT = 3;

type Msg = { role: string; content: unknown };
const messagesOf = (call: UpstreamCall) => call.body.messages as Msg[];
const textOf = (m: Msg | undefined) =>
  typeof m?.content === "string" ? m.content : JSON.stringify(m?.content);

/**
 * A model that, shown an image, calls `resize` on it, then describes the result in several paced
 * pieces; shown no image, it answers in paced pieces.
 */
function resizeThenAnswer(call: UpstreamCall, res: http.ServerResponse) {
  const messages = messagesOf(call);
  const last = messages.at(-1);
  const toolResult = [...messages].reverse().find((m) => m.role === "tool");
  if (toolResult && messages.indexOf(toolResult) >= messages.length - 2) {
    const made = (JSON.parse(textOf(toolResult)) as { artifacts?: string[] }).artifacts?.[0] ?? "nothing";
    void streamText(call, res, ["I made ", "a smaller ", "copy: ", made, "."], undefined, 120);
    return;
  }
  const withImage = Array.isArray(last?.content) && JSON.stringify(last.content).includes('"image_url"');
  const attached = /img_[0-9a-f]{6}/.exec(JSON.stringify(messages))?.[0];
  if (withImage && attached) {
    const args = JSON.stringify({ image: attached, width: 32 });
    streamToolCall(call, res, { id: "call_resize", name: "resize", arguments: args });
    return;
  }
  void streamText(call, res, ["Hello ", "from ", "the ", "model."], undefined, 60);
}

/** Records the assistant's text once per animation frame, so the test can count distinct paints. */
const PAINT_RECORDER = () => {
  const w = window as unknown as { __paints: string[] };
  w.__paints = [];
  const tick = () => {
    const text = [...document.querySelectorAll(".turn.assistant .text")].at(-1)?.textContent ?? "";
    if (text !== "" && w.__paints.at(-1) !== text) w.__paints.push(text);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
};

let server: TestServer;
let browser: Browser;
let page: Page;
let squarePng: Buffer;
/** The artifact the first chat made, looked for again after the reload. */
let made = "";

beforeAll(async () => {
  const webDir = await buildPlayground();
  server = await startServer({
    ORION_WEB_DIR: webDir,
    ORION_GUEST_DAILY_LIMIT: String(GUEST_LIMIT),
    ORION_API_KEYS: `${API_KEY}=playground:enterprise`,
  });
  server.upstream.script(resizeThenAnswer);
  squarePng = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#d03030" } })
    .png()
    .toBuffer();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.addInitScript(PAINT_RECORDER);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function ready(p: Page) {
  await p.waitForSelector('body[data-ready="true"]');
}

async function sendMessage(p: Page, text: string) {
  await p.locator("#prompt").fill(text);
  await p.locator("#prompt").press("Enter");
  await p.waitForFunction(() => !document.querySelector('.turn.assistant[aria-busy="true"]'));
}

const quotaText = (p: Page) => p.locator("#quota").textContent();

describe("the playground in Chromium", () => {
  it("serves the page with its assets, a CSP and the server's caps", async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).toContain('name="orion-settings"');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] as string;
    const asset = await fetch(`${server.url}${script}`, { headers: { "accept-encoding": "gzip" } });
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toContain("immutable");
    const again = await fetch(`${server.url}${script}`, {
      headers: { "if-none-match": asset.headers.get("etag") ?? "" },
    });
    expect(again.status).toBe(304);
    expect((await fetch(`${server.url}/assets/..%2Fpackage.json`)).status).toBe(404);
  });

  it("says how to build the page when it is not built, and can be turned off", async () => {
    const unbuilt = await startServer({ ORION_WEB_DIR: "/nonexistent/orion-web" });
    const off = await startServer({ ORION_PLAYGROUND: "off" });
    try {
      const res = await fetch(`${unbuilt.url}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain("npm run build");
      expect((await fetch(`${off.url}/`)).status).toBe(404);
    } finally {
      await unbuilt.close();
      await off.close();
    }
  });

  it("chats with an image: streamed text, a tool event and the artifact it made", async () => {
    await page.goto(`${server.url}/`);
    await ready(page);
    await expect.poll(() => quotaText(page)).toBe(`${GUEST_LIMIT} of ${GUEST_LIMIT} guest chats left today`);
    // Providers come from ListModels: none is configured here, so all are shown as unavailable.
    expect(await page.locator("#providers input:disabled").count()).toBe(12);

    await page.locator('#toolsets label:has-text("image") input').first().check();
    await page
      .locator("#files")
      .setInputFiles({ name: "square.png", mimeType: "image/png", buffer: squarePng });
    await expect.poll(() => page.locator(".chip").textContent()).toContain("square.png");
    await sendMessage(page, "Make this image smaller");

    const turn = page.locator(".turn.assistant").last();
    await expect
      .poll(() => turn.locator('.tool-event[data-tool="resize"]').getAttribute("data-status"))
      .toBe("finished");
    const finalText = (await turn.locator(".text").textContent()) as string;
    made = /img_[0-9a-f]{6}/.exec(finalText)?.[0] as string;
    expect(finalText).toBe(`I made a smaller copy: ${made}.`);
    const paints = await page.evaluate(() => (window as unknown as { __paints: string[] }).__paints);
    const partial = paints.filter((p) => p !== finalText);
    expect(partial.length).toBeGreaterThanOrEqual(2); // the answer arrived in more than one paint
    for (const p of partial) expect(finalText.startsWith(p)).toBe(true);

    const artifact = turn.locator(`figure[data-object-id="${made}"] img`);
    await expect
      .poll(() => artifact.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBe(32);
    await expect
      .poll(() => quotaText(page))
      .toBe(`${GUEST_LIMIT - 1} of ${GUEST_LIMIT} guest chats left today`);
    await page.screenshot({ path: artifactPath("playground-chat.png"), fullPage: true });

    // The same browser id went to the server on every call, and the user's image reached the model.
    const first = server.upstream.calls.at(-2) as UpstreamCall;
    expect(JSON.stringify(first.body.messages)).toMatch(/img_[0-9a-f]{6}/);
  });

  it("restores the conversation after a reload", async () => {
    const sessionBefore = await page.evaluate(() => localStorage.getItem("orion.session-id"));
    expect(sessionBefore).toMatch(/.+/);
    await page.reload();
    await ready(page);
    await expect.poll(() => page.locator(".turn.notice").last().textContent()).toBe("Conversation restored.");
    expect(await page.locator(".turn.user .text").first().textContent()).toBe("Make this image smaller");
    expect(await page.locator(".turn.user img").count()).toBe(1);
    // The tool events are part of the session: the resize shows again, finished.
    expect(
      await page.locator('.turn.assistant .tool-event[data-tool="resize"]').getAttribute("data-status"),
    ).toBe("finished");
    expect(await page.locator(".turn.assistant .text").last().textContent()).toMatch(
      /^I made a smaller copy: img_/,
    );
    const restored = page.locator(`figure[data-object-id="${made}"] img`);
    await expect
      .poll(() => restored.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBe(32);

    // The next message continues the same session.
    await sendMessage(page, "Thanks!");
    expect(await page.evaluate(() => localStorage.getItem("orion.session-id"))).toBe(sessionBefore);
    const history = messagesOf(server.upstream.calls.at(-1) as UpstreamCall).map((m) => m.role);
    expect(history.filter((r) => r === "user").length).toBeGreaterThanOrEqual(2);
  });

  it("shows the quota message when the guest allowance is used up, then chats with an API key", async () => {
    await sendMessage(page, "One more"); // the third and last guest chat
    await expect.poll(() => quotaText(page)).toBe(`0 of ${GUEST_LIMIT} guest chats left today`);
    await sendMessage(page, "And another");
    const error = page.locator(".turn.assistant .error").last();
    expect(await error.textContent()).toContain("You have used today's guest chats");
    expect(await page.locator("#quota").getAttribute("data-state")).toBe("exhausted");
    await page.screenshot({ path: artifactPath("playground-quota.png"), fullPage: true });

    // gRPC-Web and a pasted key: the chat goes through and the cap is gone.
    await page.locator("#protocol").selectOption("grpc-web");
    await page.locator("#api-key").fill(API_KEY);
    await page.locator("#api-key").dispatchEvent("change");
    await expect.poll(() => quotaText(page)).toContain("no daily cap");
    await sendMessage(page, "Hello as a user");
    expect(await page.locator(".turn.assistant .text").last().textContent()).toBe("Hello from the model.");
    expect((server.upstream.calls.at(-1) as UpstreamCall).body.messages).toBeDefined();
  });

  it("works on a narrow screen and with the keyboard alone", async () => {
    const narrow = await browser.newPage({ viewport: { width: 375, height: 720 } });
    await narrow.goto(`${server.url}/`);
    await ready(narrow);
    const overflow = await narrow.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    // The prompt has focus on load; Tab moves through the controls in order.
    expect(await narrow.evaluate(() => document.activeElement?.id)).toBe("prompt");
    await narrow.keyboard.press("Tab");
    expect(await narrow.evaluate(() => (document.activeElement as HTMLInputElement | null)?.id)).toBe(
      "files",
    );
    await narrow.screenshot({ path: artifactPath("playground-narrow.png"), fullPage: true });
    await narrow.close();
  });

  it("shows a too-large attachment as a message and never sends it", async () => {
    const small = await startServer({
      ORION_WEB_DIR: server.app.config.webDir as string,
      ORION_MEDIA_MAX_IMAGE_BYTES: "2048",
    });
    try {
      const p = await browser.newPage();
      await p.goto(`${small.url}/`);
      await ready(p);
      const big = await sharp({ create: { width: 400, height: 400, channels: 3, background: "#123456" } })
        .png({ compressionLevel: 0 })
        .toBuffer();
      await p.locator("#files").setInputFiles({ name: "big.png", mimeType: "image/png", buffer: big });
      await expect
        .poll(() => p.locator(".turn.notice.error").last().textContent())
        .toContain(
          `big.png is ${(big.length / 1024).toFixed(0)} KB; the server accepts image files up to 2 KB.`,
        );
      expect(await p.locator(".chip").count()).toBe(0);
      expect(small.upstream.calls.length).toBe(0);
      await p.close();
    } finally {
      await small.close();
    }
  });
});

/** A page on another origin, for the CORS rules. */
async function otherOrigin(): Promise<{ url: string; close(): Promise<void> }> {
  const site = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>elsewhere</title><p>another origin</p>");
  });
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  const { port } = site.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => site.close(() => resolve())),
  };
}

describe("CORS from a page on another origin", () => {
  it("lets an allowed origin call the service with Connect and read its headers; refuses any other", async () => {
    const allowed = await otherOrigin();
    const refused = await otherOrigin();
    const api = await startServer({ ORION_CORS_ORIGINS: allowed.url, ORION_PLAYGROUND: "off" });
    const p = await browser.newPage();
    try {
      const call = (origin: string) =>
        p.goto(`${origin}/`).then(() =>
          p.evaluate(async (apiUrl) => {
            try {
              const res = await fetch(`${apiUrl}/vlmrun.agent.v1.AgentService/GetQuota`, {
                method: "POST",
                headers: { "content-type": "application/json", "x-browser-id": "cors-page" },
                body: "{}",
              });
              return {
                status: res.status,
                body: await res.json(),
                requestId: res.headers.get("x-request-id"),
              };
            } catch (error) {
              return { error: String(error) };
            }
          }, api.url),
        );
      const ok = await call(allowed.url);
      expect(ok).toMatchObject({ status: 200, body: { callerKind: "guest" } });
      expect((ok as { requestId: string | null }).requestId).toMatch(/.+/);
      const blocked = await call(refused.url);
      expect(blocked).toEqual({ error: "TypeError: Failed to fetch" });
    } finally {
      await p.close();
      await api.close();
      await allowed.close();
      await refused.close();
    }
  });
});
