import http from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/server/app.js";
import { declaredSizePng } from "../support/images.js";
import { postChat, startBareServer } from "../support/server.js";

/** A one-page PDF written by hand (the smallest valid structure), with its real magic bytes. */
const PDF = Buffer.from(
  "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
);
let png: Buffer;
let imageServer: http.Server;
let imagePort: number;
let imageConnections = 0;
let app: App;
let url: string;

beforeAll(async () => {
  png = await sharp({ create: { width: 48, height: 24, channels: 3, background: "#ff8800" } })
    .png()
    .toBuffer();
  imageServer = http.createServer((_req, res) =>
    res.writeHead(200, { "content-type": "image/png" }).end(png),
  );
  imageServer.on("connection", () => {
    imageConnections++;
  });
  await new Promise<void>((resolve) => imageServer.listen(0, "127.0.0.1", resolve));
  imagePort = (imageServer.address() as AddressInfo).port;
  ({ app, url } = await startBareServer({
    ORION_URL_ALLOW_HOSTS: `127.0.0.1:${imagePort}`,
    ORION_MEDIA_MAX_IMAGE_BYTES: "100000",
  }));
});
afterAll(async () => {
  await app.shutdown(0);
  imageServer.closeAllConnections();
  await new Promise((r) => imageServer.close(r));
});

const browser = { "x-browser-id": "media-tester" };
const dataUrl = (type: string, data: Buffer) => `data:${type};base64,${data.toString("base64")}`;
const ask = (text: string, part: Record<string, unknown>) => ({
  toolsets: ["core"],
  messages: [{ role: "user", content: [{ type: "text", text }, part] }],
});
type Detail = { detail: { loc: unknown[]; type: string; msg: string }[] };

describe("content parts become verified bytes", () => {
  it.each([
    [
      "a PDF sent as an image",
      { type: "image_url", image_url: { url: dataUrl("image/png", PDF) } },
      "image_url",
      "type_mismatch",
      "it is sent as an image but its content is application/pdf",
    ],
    [
      "an empty video",
      { type: "video_url", video_url: { url: dataUrl("video/mp4", Buffer.alloc(0)) } },
      "video_url",
      "unreadable",
      "empty",
    ],
    [
      "a data: URL with broken percent-encoding",
      { type: "image_url", image_url: { url: "data:image/png,%E0%A4%A" } },
      "image_url",
      "unreadable",
      "not a valid data: URL",
    ],
    [
      "binary posing as text",
      { type: "file_url", file_url: { url: dataUrl("text/plain", Buffer.from([0, 159, 146, 150, 0, 1])) } },
      "file_url",
      "unreadable",
      "not a recognisable document",
    ],
  ])("refuses %s with a 422 naming the part", async (_name, part, key, type, mention) => {
    const res = await postChat(url, ask("what is this", part), browser);
    expect(res.status).toBe(422);
    const body = (await res.json()) as Detail;
    expect(body.detail[0]).toMatchObject({ loc: ["body", "messages", 0, "content", 1, key, "url"], type });
    expect(body.detail[0]?.msg).toContain(mention);
  });

  it("refuses a PNG sent as a video, by its content", async () => {
    const res = await postChat(
      url,
      ask("what is this", { type: "video_url", video_url: { url: dataUrl("video/mp4", png) } }),
      browser,
    );
    expect(res.status).toBe(422);
    expect(((await res.json()) as Detail).detail[0]).toMatchObject({
      type: "type_mismatch",
      msg: expect.stringContaining("sent as a video but its content is image/png"),
    });
  });

  it("refuses an image over its kind's cap", async () => {
    const big = await sharp({ create: { width: 600, height: 600, channels: 3, background: "#123456" } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const res = await postChat(
      url,
      ask("how big is this image", { type: "image_url", image_url: { url: dataUrl("image/png", big) } }),
      browser,
    );
    expect(res.status).toBe(422);
    expect(((await res.json()) as Detail).detail[0]).toMatchObject({ type: "too_large" });
  });

  it("refuses an image whose dimensions pass the pixel cap, saying so, without decoding it", async () => {
    const huge = declaredSizePng(20_000, 20_000);
    const res = await postChat(
      url,
      ask("how big is this image", { type: "image_url", image_url: { url: dataUrl("image/png", huge) } }),
      browser,
    );
    expect(res.status).toBe(422);
    expect(((await res.json()) as Detail).detail[0]).toMatchObject({
      type: "too_large",
      msg: "rejected: the image is 20000×20000 (400000000 pixels), over the cap of 100000000 pixels",
    });
  });

  it("stores a real PDF as a document artifact with the type found in its bytes", async () => {
    const res = await postChat(
      url,
      ask("keep this", { type: "file_url", file_url: { url: dataUrl("application/octet-stream", PDF) } }),
      browser,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { session_id: string };
    const list = (await (
      await fetch(`${url}/v1/artifacts/list?session_id=${body.session_id}`, { headers: browser })
    ).json()) as {
      items: { object_id: string; content_type: string }[];
    };
    expect(list.items).toEqual([
      expect.objectContaining({ content_type: "application/pdf", object_id: expect.stringMatching(/^doc_/) }),
    ]);
  });

  it("fetches a remote image through the URL guard and uses it with real tools", async () => {
    const res = await postChat(
      url,
      ask("How big is this image?", {
        type: "image_url",
        image_url: { url: `http://127.0.0.1:${imagePort}/photo` },
      }),
      browser,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toMatch(/^img_[0-9a-f]{6}: 48×24 png/);
    expect(imageConnections).toBe(1);
  });
});
