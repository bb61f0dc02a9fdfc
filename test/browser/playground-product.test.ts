/// <reference lib="dom" />
// Code inside page.evaluate() runs in the browser, so this file also sees the DOM types.
import { execFile } from "node:child_process";
import type http from "node:http";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/observability/logger.js";
import { type App, build } from "../../src/server/app.js";
import { artifactPath, buildPlayground, launchChromium } from "../support/browser.js";
import { streamText, type UpstreamCall } from "../support/fake-upstream.js";
import { startServer, type TestServer } from "../support/server.js";

const MARKDOWN = [
  "# Findings\n\n",
  "| colour | share |\n|---|---|\n| red | 60 % |\n| blue | 40 % |\n\n",
  "```python\nprint('hello')\n```\n\n",
  "Saved as img_0a1b2c.\n\n",
  '<script>window.__pwned = 1</script><img src="http://example.invalid/x.png" onerror="window.__pwned = 2">',
];

/** Markdown (and hostile HTML) for plain chats; a JSON object when a response_format is asked. */
function answer(call: UpstreamCall, res: http.ServerResponse) {
  if (call.body.response_format) {
    void streamText(call, res, ['{"total":', " 42, ", '"items": ["a", "b"]}']);
    return;
  }
  void streamText(call, res, MARKDOWN);
}

const API_KEY = "sk-playground-snippets";
const exec = promisify(execFile);

/** The "View code" snippet of one language, as the dialog shows it. */
async function viewCode(p: Page, lang: "curl" | "python" | "typescript"): Promise<string> {
  if (!(await p.locator("#code-dialog").evaluate((d) => (d as HTMLDialogElement).open)))
    await p.locator("#view-code").click();
  await p.locator(`[data-lang="${lang}"]`).click();
  return (await p.locator("#code-snippet").textContent()) ?? "";
}

let webDir: string;
let server: TestServer;
let offline: { app: App; url: string };
let browser: Browser;

const ready = (p: Page) => p.waitForFunction(() => document.body.dataset.ready === "true");

async function ask(p: Page, text: string) {
  await p.locator("#prompt").fill(text);
  await p.locator("#prompt").press("Enter");
  await p.waitForFunction(() => !document.querySelector(".turn.assistant[aria-busy]"));
}

beforeAll(async () => {
  webDir = await buildPlayground();
  server = await startServer({ ORION_WEB_DIR: webDir });
  server.upstream.script(answer);
  const app = build(
    loadConfig({ PORT: "0", ORION_WEB_DIR: webDir, ORION_API_KEYS: `${API_KEY}=snippets:enterprise` }),
    { logger: createLogger("silent") },
  );
  offline = { app, url: await app.listen() };
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await offline?.app.shutdown(0);
});

describe("the playground reads like a product", () => {
  it("renders answers as sanitised Markdown: tables, code with a copy button, file chips; never the model's HTML", async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await p.goto(`${server.url}/`);
    await ready(p);
    await ask(p, "Summarise the colours");
    const text = p.locator(".turn.assistant .text").last();
    expect(await text.locator("h1").textContent()).toBe("Findings");
    expect(await text.locator("table td").allTextContents()).toEqual(["red", "60 %", "blue", "40 %"]);
    expect(await text.locator("pre code").textContent()).toBe("print('hello')\n");
    expect(await text.locator("pre button.copy").count()).toBe(1);
    expect(await text.locator('.artifact-ref[data-object-id="img_0a1b2c"]').count()).toBe(1);
    expect(await text.locator("script").count()).toBe(0);
    expect(await text.locator("img").getAttribute("src")).toBeNull();
    expect(await text.locator("img").getAttribute("onerror")).toBeNull();
    expect(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await p.close();
  });

  it("sends the system prompt, temperature, max tokens and a response_format, and pretty-prints the JSON", async () => {
    const p = await browser.newPage();
    await p.goto(`${server.url}/`);
    await ready(p);
    await p.locator("#system-prompt").fill("Answer tersely.");
    await p.locator("#temperature").fill("0.2");
    await p.locator("#max-tokens").fill("300");
    await p.locator("#schema").fill('{"type":"object","properties":{"total":{"type":"number"}}}');
    await ask(p, "Count them");
    const sent = server.upstream.calls.at(-1)?.body as Record<string, unknown>;
    expect(sent).toMatchObject({ temperature: 0.2, max_tokens: 300 });
    expect((sent.messages as { role: string; content: unknown }[])[0]).toEqual({
      role: "system",
      content: "Answer tersely.",
    });
    expect(sent.response_format).toMatchObject({ type: "json_schema" });
    const json = await p.locator(".turn.assistant .text code.json").last().textContent();
    expect(json).toBe(JSON.stringify({ total: 42, items: ["a", "b"] }, null, 2));
    await p.locator("#schema").fill("{not json");
    await p.locator("#prompt").fill("again");
    await p.locator("#prompt").press("Enter");
    await expect.poll(() => p.locator("#schema-error").textContent()).toContain("not valid");
    await p.close();
  });

  it("shows the request as curl, Python and TypeScript", async () => {
    const p = await browser.newPage();
    await p.goto(`${server.url}/`);
    await ready(p);
    await p.locator('#toolsets label:has-text("image") input').first().check();
    await p.locator("#prompt").fill("Describe this image");
    await p.locator("#view-code").click();
    const code = p.locator("#code-snippet");
    expect(await code.textContent()).toContain(`curl ${server.url}/v1/chat/completions`);
    expect(await code.textContent()).toContain('"toolsets": [\n    "image"\n  ]');
    await p.locator('[data-lang="python"]').click();
    expect(await code.textContent()).toContain('"toolsets": [\n        "image",\n    ]'); // a guest's: no SDK
    await p.locator('[data-lang="typescript"]').click();
    expect(await code.textContent()).toContain("const params: OrionParams");
    await p.locator("#code-close").click();
    expect(await p.locator("#code-dialog").evaluate((d) => (d as HTMLDialogElement).open)).toBe(false);
    await p.close();
  });

  it("View code runs as pasted: a guest's snippet sends its browser id, never a bearer; a key's sends the key", async () => {
    const p = await browser.newPage();
    await p.goto(`${offline.url}/`); // the local planner answers a plain chat
    await ready(p);
    await p.locator("#prompt").fill("Say hello");
    const guestId = await p.evaluate(() => localStorage.getItem("orion.browser-id") ?? "");
    const curl = await viewCode(p, "curl");
    expect(curl.toLowerCase()).not.toContain("authorization");
    expect(curl).toContain("x-browser-id: ");
    if (guestId !== "") expect(curl).toContain(guestId);
    // Pasted into a shell, it is a chat (it was a 401: an unset $ORION_API_KEY is no key at all).
    const asGuest = JSON.parse(
      (await exec("bash", ["-c", `${curl} -s`], { env: { PATH: process.env.PATH } })).stdout,
    );
    expect(asGuest).toMatchObject({ choices: [{ message: { content: expect.any(String) } }] });
    expect(await viewCode(p, "typescript")).toContain("Authorization: null");
    const python = await viewCode(p, "python");
    expect(python).not.toContain("ORION_API_KEY");
    const hasPython = await exec("python3", ["--version"]).then(
      () => true,
      () => false,
    );
    if (hasPython) {
      const printed = await exec("python3", ["-c", python]);
      expect(printed.stdout.trim()).not.toBe("");
    }
    await p.locator("#code-close").click();

    await p.locator("#api-key").fill(API_KEY);
    await p.locator("#api-key").dispatchEvent("change");
    const keyed = await viewCode(p, "curl");
    expect(keyed).toContain('authorization: Bearer $ORION_API_KEY"');
    expect(keyed).not.toContain("x-browser-id");
    const asKey = JSON.parse(
      (await exec("bash", ["-c", `${keyed} -s`], { env: { PATH: process.env.PATH, ORION_API_KEY: API_KEY } }))
        .stdout,
    );
    expect(asKey).toMatchObject({ choices: [{ message: { content: expect.any(String) } }] });
    await p.close();
  });

  it("collapses the unconfigured providers into one line, shows thumbnails, and takes pasted files", async () => {
    const p = await browser.newPage();
    await p.goto(`${server.url}/`);
    await ready(p);
    expect(await p.locator(".unconfigured summary").textContent()).toMatch(
      /^12 more not configured: set ORION_MODEL_/,
    );
    expect(await p.locator(".unconfigured").evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    const png = await sharp({ create: { width: 40, height: 40, channels: 3, background: "#22aa44" } })
      .png()
      .toBuffer();
    await p.locator("#files").setInputFiles({ name: "green.png", mimeType: "image/png", buffer: png });
    await expect.poll(() => p.locator(".chip img.chip-thumb").count()).toBe(1);
    await p.evaluate(async (base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
      const event = new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true });
      document.getElementById("prompt")?.dispatchEvent(event);
    }, png.toString("base64"));
    await expect
      .poll(() => p.locator(".chip").allTextContents())
      .toEqual([expect.stringContaining("green.png"), expect.stringContaining("pasted.png")]);
    await p.close();
  });

  it("offers three example prompts on an empty page, and each runs offline on the local planner", async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await p.goto(`${offline.url}/`);
    await ready(p);
    expect(await p.locator("#empty").isVisible()).toBe(true);
    expect(await p.locator(".example").count()).toBe(3);
    for (const [example, tool] of [
      ["chart", "chart"],
      ["crop", "crop"],
      ["note", "read_text"],
    ] as const) {
      await p.locator("#new-chat").click();
      expect(await p.locator("#empty").isVisible()).toBe(true);
      await p.locator(`[data-example="${example}"]`).click();
      const turn = p.locator(".turn.assistant").last();
      await expect
        .poll(() => turn.locator(`.tool-event[data-tool="${tool}"]`).getAttribute("data-status"), {
          timeout: 20_000,
        })
        .toBe("finished");
      await p.waitForFunction(() => !document.querySelector(".turn.assistant[aria-busy]"));
      expect(await turn.locator(".error").count()).toBe(0);
      // "View code" now shows the request just sent: this example's prompt, toolset and file.
      const code = await viewCode(p, "curl");
      const sent = JSON.parse(/-d '([\s\S]*)'$/.exec(code)?.[1] ?? "{}") as {
        messages: { content: unknown }[];
        toolsets?: string[];
        session_id?: string;
      };
      expect(JSON.stringify(sent.messages.at(-1)?.content)).toContain(
        await p.locator(".turn.user").last().locator(".text").textContent(),
      );
      expect(sent.toolsets).toEqual([example === "note" ? "core" : example === "chart" ? "viz" : "image"]);
      expect(sent.session_id).toBeUndefined(); // a new chat's first request
      const file = { chart: undefined, crop: '"image_url"', note: '"file_url"' }[example];
      if (file) expect(JSON.stringify(sent.messages.at(-1)?.content)).toContain(file);
      await p.locator("#code-close").click();
    }
    await p.close();
  });

  it("looks right at 1280 px and 375 px, light and dark (screenshots in test-artifacts/)", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      for (const width of [1280, 375]) {
        const p = await browser.newPage({ viewport: { width, height: 900 }, colorScheme });
        await p.goto(`${server.url}/`);
        await ready(p);
        await ask(p, "Summarise the colours");
        const overflow = await p.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow, `${width} px ${colorScheme}`).toBeLessThanOrEqual(0);
        await p.screenshot({ path: artifactPath(`playground-${width}-${colorScheme}.png`), fullPage: true });
        await p.close();
      }
    }
    const empty = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await empty.goto(`${offline.url}/`);
    await ready(empty);
    await empty.screenshot({ path: artifactPath("playground-empty-state.png") });
    await empty.close();
  });
});

describe("the playground with an API key", () => {
  it("uploads attachments through the Files API and names them by file_id", async () => {
    const p = await browser.newPage();
    await p.goto(`${offline.url}/`);
    await ready(p);
    await p.locator("#api-key").fill(API_KEY);
    await p.locator("#api-key").dispatchEvent("change");
    const png = await sharp({ create: { width: 36, height: 18, channels: 3, background: "#aa2288" } })
      .png()
      .toBuffer();
    await p.locator("#files").setInputFiles({ name: "magenta.png", mimeType: "image/png", buffer: png });
    await expect.poll(() => p.locator(".chip img.chip-thumb").count()).toBe(1);
    const listed = (await (
      await fetch(`${offline.url}/v1/files`, { headers: { authorization: `Bearer ${API_KEY}` } })
    ).json()) as { id: string; filename: string; bytes: number }[];
    expect(listed).toEqual([expect.objectContaining({ filename: "magenta.png", bytes: png.length })]);
    expect(await viewCode(p, "curl")).toContain(`"file_id": "${listed[0]?.id}"`);
    await p.locator("#code-close").click();
    await ask(p, "How big is this image?");
    expect(await p.locator(".turn.assistant").last().textContent()).toMatch(/36×18 png/);
    await fetch(`${offline.url}/v1/files/${listed[0]?.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    await p.close();
  });
});
