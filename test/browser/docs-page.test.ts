/// <reference lib="dom" />
// Code inside page.evaluate() runs in the browser, so this file also sees the DOM types.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactPath, launchChromium } from "../support/browser.js";
import { startServer, type TestServer } from "../support/server.js";

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer({ ORION_PLAYGROUND: "off" });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("/docs in a browser", () => {
  it("opens clean: every operation rendered, no warning or error box, nothing in the console", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    await page.goto(`${server.url}/docs`);
    await page.waitForSelector(".opblock", { timeout: 20_000 });
    await page.screenshot({ path: artifactPath("docs.png") });
    const seen = await page.evaluate(() => ({
      title: document.querySelector(".info .title")?.textContent ?? "",
      operations: document.querySelectorAll(".opblock").length,
      // Swagger UI's own boxes: the version/dialect pragma (e.g. the jsonSchemaDialect warning)
      // and the errors panel of a document it could not read.
      boxes: [...document.querySelectorAll(".version-pragma, .errors-wrapper, .swagger-ui .errors")].map(
        (e) => e.textContent?.slice(0, 300) ?? "",
      ),
    }));
    expect(seen.boxes).toEqual([]);
    expect(seen.title).toContain("Orion Server");
    expect(seen.operations).toBeGreaterThanOrEqual(10);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
