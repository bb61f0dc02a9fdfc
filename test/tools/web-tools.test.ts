import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { builtinTools } from "../../src/tools/builtin.js";
import { TEST_FETCH_POLICY } from "../support/fetch-policy.js";
import { startBareServer } from "../support/server.js";
import { toolHarness } from "../support/tool-harness.js";

const PAGE = `<!doctype html><html><head><title>Harbour &amp; Co — Opening hours</title><style>body{}</style></head>
<body><nav>Home | About | Shop</nav><header>Harbour &amp; Co</header>
<main><h1>Opening hours</h1><p>We are open <b>9:00–17:00</b>, Monday to Friday.</p><script>track()</script>
<p>Closed on public holidays.</p></main><footer>© 2026</footer></body></html>`;

let site: http.Server;
let base: string;
const searches: string[] = [];
beforeAll(async () => {
  site = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/hours") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(PAGE);
    } else if (url.pathname === "/search" && url.searchParams.get("q") === "overloaded") {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "too many searches" }));
    } else if (url.pathname === "/search") {
      searches.push(`${url.searchParams.get("q")}|${url.searchParams.get("format")}`);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          results: [
            { title: "Harbour & Co", url: `${base}/hours`, content: "Opening hours" },
            { title: "Other", url: "https://example.com/" },
          ],
        }),
      );
    } else if (url.pathname === "/logo.png") {
      res.writeHead(200, { "content-type": "image/png" });
      res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => site.close(() => resolve())));

describe("web tools", () => {
  it("fetch_page returns the title and the readable text, without menus, scripts or footers", async () => {
    const h = toolHarness();
    // This page is on loopback, so this registry's policy allows the test site's host by name.
    const registry = builtinTools({ ...TEST_FETCH_POLICY, allowHosts: ["127.0.0.1"] });
    const tool = registry.get("fetch_page");
    const { data } = await (tool as NonNullable<typeof tool>).execute({ url: `${base}/hours` }, h.ctx);
    expect(data).toMatchObject({
      title: "Harbour & Co — Opening hours",
      text: "Opening hours\nWe are open 9:00–17:00, Monday to Friday.\n\nClosed on public holidays.",
    });
    await expect(
      (tool as NonNullable<typeof tool>).execute({ url: `${base}/logo.png` }, h.ctx),
    ).rejects.toThrow(/image\/png, not a web page: use load_url/);
  });

  it("fetch_page goes through the URL guard: a loopback page is refused by default", async () => {
    const h = toolHarness();
    await expect(h.run("fetch_page", { url: `${base}/hours` })).rejects.toThrow(/cannot fetch .* loopback/);
  });

  it("web_search asks the configured SearXNG-style endpoint and returns results", async () => {
    const config = loadConfig({ ORION_SEARCH_URL: base });
    const registry = builtinTools(TEST_FETCH_POLICY, config.search);
    const h = toolHarness();
    const tool = registry.get("web_search");
    const { data } = await (tool as NonNullable<typeof tool>).execute(
      { query: "harbour opening hours", count: 1 },
      h.ctx,
    );
    expect(data).toEqual({
      query: "harbour opening hours",
      results: [{ title: "Harbour & Co", url: `${base}/hours`, snippet: "Opening hours" }],
    });
    expect(searches.at(-1)).toBe("harbour opening hours|json");
    await expect((tool as NonNullable<typeof tool>).execute({ query: "overloaded" }, h.ctx)).rejects.toThrow(
      "the search endpoint refused the request (503): too many searches",
    );
  });

  it("without ORION_SEARCH_URL web_search is not offered, and /v1/tools says what enables it", async () => {
    expect(builtinTools(TEST_FETCH_POLICY).get("web_search")).toBeUndefined();
    const { app, url } = await startBareServer();
    try {
      const { data } = (await (
        await fetch(`${url}/v1/tools`, { headers: { "x-browser-id": "tools" } })
      ).json()) as {
        data: { name: string; available: boolean; unavailable_reason?: string; provider: string | null }[];
      };
      expect(data.find((t) => t.name === "web_search")).toMatchObject({
        available: false,
        unavailable_reason: expect.stringContaining("ORION_SEARCH_URL"),
      });
      expect(data.find((t) => t.name === "ocr")).toMatchObject({ available: true, provider: null });
      expect(data.find((t) => t.name === "sam3_segment")).toMatchObject({
        available: false,
        provider: "meta-sam3",
        unavailable_reason: "set ORION_MODEL_META_SAM3_URL",
      });
    } finally {
      await app.shutdown(0);
    }
  });
});
