import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Ajv2020 } from "ajv/dist/2020.js";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { PDFDocument } from "pdf-lib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VlmRun } from "vlmrun";
import { Role } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { AgentService } from "../../gen/vlmrun/agent/v1/service_pb.js";
import type { App } from "../../src/server/app.js";
import { declaredSizePng } from "../support/images.js";
import { postChat, startBareServer } from "../support/server.js";
import { lyingZip } from "../support/zips.js";

const ALICE = "sk-files-alice-0001";
const BOB = "sk-files-bob-00001";
const FILE_MAX = 2 * 1024 * 1024;
const OWNER_MAX = 5 * 1024 * 1024;
let app: App;
let url: string;
let dir: string;
let png: Buffer;
let pngPath: string;

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
type FileJson = {
  id: string;
  object: string;
  filename: string;
  bytes: number;
  purpose: string;
  created_at: string;
};
type ErrorBody = {
  detail: string | { loc: unknown[]; msg: string; type: string }[];
  error: { code: string; message: string };
};

function form(parts: Record<string, Blob | string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(parts)) {
    if (typeof value === "string") data.append(name, value);
    else data.append(name, value, name === "file" ? (value as File).name : "blob");
  }
  return data;
}

async function upload(key: string, data: Buffer, filename: string, query = "") {
  const body = form({ file: new File([new Uint8Array(data)], filename) });
  return fetch(`${url}/v1/files${query}`, { method: "POST", headers: auth(key), body });
}

beforeAll(async () => {
  ({ app, url } = await startBareServer({
    ORION_API_KEYS: `${ALICE}=alice,${BOB}=bob`,
    ORION_FILE_MAX_BYTES: String(FILE_MAX),
    ORION_FILES_MAX_BYTES_PER_OWNER: String(OWNER_MAX),
    ORION_MEDIA_MAX_DOCUMENT_BYTES: String(1024 * 1024),
    ORION_GUEST_DAILY_LIMIT: "5",
  }));
  dir = mkdtempSync(join(tmpdir(), "orion-files-test-"));
  png = await sharp({ create: { width: 64, height: 32, channels: 3, background: "#20a040" } })
    .png()
    .toBuffer();
  pngPath = join(dir, "picture.png");
  writeFileSync(pngPath, png);
});
afterAll(() => app.shutdown(0));

describe("the official vlmrun SDK against this server", () => {
  it("uploads, finds by MD5, gets, lists, chats about the picture (openai SDK and Connect), deletes", async () => {
    const vlm = new VlmRun({ apiKey: ALICE, baseURL: `${url}/v1` });
    const uploaded = await vlm.files.upload({ filePath: pngPath });
    expect(uploaded).toMatchObject({
      object: "file",
      filename: "picture.png",
      bytes: png.length,
      purpose: "assistants",
    });
    expect(uploaded.id).toMatch(/^file-[0-9a-f]{32}$/);
    expect(await vlm.files.getCachedFile(pngPath)).toEqual(uploaded);
    expect(await vlm.files.get(uploaded.id)).toEqual(uploaded);
    expect((await vlm.files.list()).map((f) => f.id)).toContain(uploaded.id);
    // A second upload of the same bytes is the same file (the SDK's own duplicate check is off here).
    expect((await vlm.files.upload({ filePath: pngPath, checkDuplicate: false })).id).toBe(uploaded.id);

    const openai = new OpenAI({ apiKey: ALICE, baseURL: `${url}/v1/openai`, maxRetries: 0 });
    const reply = await openai.chat.completions.create({
      model: "vlmrun-orion-1:auto",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "How big is this image?" },
            { type: "input_file", file_id: uploaded.id } as unknown as OpenAI.ChatCompletionContentPartText,
          ],
        },
      ],
    });
    expect(reply.choices[0]?.message.content).toMatch(/^img_[0-9a-f]{6}: 64×32 png, \d+ bytes\.$/);

    const connect = createClient(AgentService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
    const viaConnect = await connect.createChatCompletion(
      {
        messages: [
          {
            role: Role.USER,
            parts: [
              { part: { case: "text", value: "How big is this image?" } },
              { part: { case: "inputFile", value: { fileId: uploaded.id } } },
            ],
          },
        ],
      },
      { headers: auth(ALICE) },
    );
    expect(viaConnect.choices[0]?.message?.content).toMatch(/: 64×32 png, \d+ bytes\.$/);

    await vlm.files.delete(uploaded.id);
    await expect(vlm.files.get(uploaded.id)).rejects.toThrow(/404|file_not_found/);
    expect(await vlm.files.getCachedFile(pngPath)).toBeNull();
    const gone = await postChat(url, chatNaming(uploaded.id), auth(ALICE));
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as ErrorBody).error.message).toContain(uploaded.id);
  });

  it("serves the content with the type found in it, and the session remembers the file across turns", async () => {
    const file = (await (await upload(ALICE, png, "again.png")).json()) as FileJson;
    const content = await fetch(`${url}/v1/files/${file.id}/content`, { headers: auth(ALICE) });
    expect(content.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await content.arrayBuffer())).toEqual(png);

    const first = await postChat(url, { ...chatNaming(file.id), session_id: "files-session-1" }, auth(ALICE));
    const firstAnswer = ((await first.json()) as { choices: { message: { content: string } }[] }).choices[0]
      ?.message.content;
    const imageId = firstAnswer?.slice(0, 10);
    expect(imageId).toMatch(/^img_[0-9a-f]{6}$/);
    const second = await postChat(
      url,
      { session_id: "files-session-1", messages: [{ role: "user", content: "How big is this image?" }] },
      auth(ALICE),
    );
    const secondAnswer = ((await second.json()) as { choices: { message: { content: string } }[] }).choices[0]
      ?.message.content;
    expect(secondAnswer).toMatch(new RegExp(`^${imageId}: 64×32 png`));
    // Named again in a later turn, the file is the session's same attachment, not a copy.
    const third = await postChat(url, { ...chatNaming(file.id), session_id: "files-session-1" }, auth(ALICE));
    expect(
      ((await third.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
    ).toMatch(new RegExp(`^${imageId}:`));
    await fetch(`${url}/v1/files/${file.id}`, { method: "DELETE", headers: auth(ALICE) });
  });
});

const chatNaming = (fileId: string) => ({
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "How big is this image?" },
        { type: "input_file", file_id: fileId },
      ],
    },
  ],
});

describe("files belong to their caller", () => {
  it("is a 404 for another key everywhere: get, content, hash, delete, chat, verify; list shows nothing", async () => {
    const file = (await (await upload(ALICE, png, "mine.png")).json()) as FileJson;
    const md5 = createHash("md5").update(png).digest("hex");
    for (const path of [
      `/v1/files/${file.id}`,
      `/v1/files/${file.id}/content`,
      `/v1/files/hash/${md5}`,
      `/v1/files/verify-upload/${file.id}`,
    ]) {
      expect((await fetch(`${url}${path}`, { headers: auth(BOB) })).status, path).toBe(404);
    }
    expect(await (await fetch(`${url}/v1/files`, { headers: auth(BOB) })).json()).toEqual([]);
    expect((await fetch(`${url}/v1/files/${file.id}`, { method: "DELETE", headers: auth(BOB) })).status).toBe(
      404,
    );
    const chat = await postChat(url, chatNaming(file.id), auth(BOB));
    expect(chat.status).toBe(404);
    // Still Alice's, untouched.
    expect((await fetch(`${url}/v1/files/${file.id}`, { headers: auth(ALICE) })).status).toBe(200);
    await fetch(`${url}/v1/files/${file.id}`, { method: "DELETE", headers: auth(ALICE) });
  });

  it("answers guests 401 with the usual error body, reading no upload", async () => {
    const guest = { "x-browser-id": "files-guest" };
    for (const [method, path] of [
      ["GET", "/v1/files"],
      ["GET", "/v1/files/file-x"],
      ["DELETE", "/v1/files/file-x"],
      ["GET", "/v1/files/file-x/content"],
      ["GET", `/v1/files/hash/${"0".repeat(32)}`],
      ["GET", "/v1/files/verify-upload/file-x"],
    ] as const) {
      const res = await fetch(`${url}${path}`, { method, headers: guest });
      expect(res.status, path).toBe(401);
      expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: "unauthenticated" });
    }
    const post = await fetch(`${url}/v1/files`, {
      method: "POST",
      headers: guest,
      body: form({ file: new File([new Uint8Array(png)], "a.png") }),
    });
    expect(post.status).toBe(401);
    expect(post.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("checks a chat's file ids before the quota: a 404 naming the id, even with the quota spent", async () => {
    const guest = { "x-browser-id": "files-quota-guest" };
    const quota = async () =>
      ((await (await fetch(`${url}/v1/quota`, { headers: guest })).json()) as { remaining_today: number })
        .remaining_today;
    const unknown = chatNaming("file-0123456789abcdef0123456789abcdef");
    const first = await postChat(url, unknown, guest);
    expect(first.status).toBe(404);
    expect(((await first.json()) as ErrorBody).error.message).toContain(
      'no file "file-0123456789abcdef0123456789abcdef"',
    );
    while ((await quota()) > 0) {
      expect((await postChat(url, { messages: [{ role: "user", content: "hi" }] }, guest)).status).toBe(200);
    }
    expect((await postChat(url, { messages: [{ role: "user", content: "hi" }] }, guest)).status).toBe(429);
    expect((await postChat(url, unknown, guest)).status).toBe(404);
  });
});

describe("bad uploads get clear answers", () => {
  const post = (body: BodyInit, headers: Record<string, string> = {}, query = "") =>
    fetch(`${url}/v1/files${query}`, { method: "POST", headers: { ...auth(ALICE), ...headers }, body });

  it("no file part → 422 naming `file`", async () => {
    const res = await post(form({ purpose: "assistants" }));
    expect(res.status).toBe(422);
    expect(((await res.json()) as ErrorBody).detail).toEqual([
      expect.objectContaining({ loc: ["body", "file"], type: "missing" }),
    ]);
  });

  it("not multipart → 415", async () => {
    const res = await post(JSON.stringify({ file: "x" }), { "content-type": "application/json" });
    expect(res.status).toBe(415);
  });

  it("over ORION_FILE_MAX_BYTES → 413 the client can read, nothing stored, server healthy", async () => {
    const before = ((await (await fetch(`${url}/v1/files`, { headers: auth(ALICE) })).json()) as FileJson[])
      .length;
    const big = Buffer.alloc(FILE_MAX + 500_000, 7);
    const res = await upload(ALICE, big, "big.bin");
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).error.message).toContain("ORION_FILE_MAX_BYTES");
    // Streamed (no Content-Length): caught as the bytes arrive.
    const streamed = new ReadableStream({
      start(controller) {
        const framing = '--b\r\ncontent-disposition: form-data; name="file"; filename="s.bin"\r\n\r\n';
        controller.enqueue(new TextEncoder().encode(framing));
        for (let i = 0; i < 6; i++) controller.enqueue(new Uint8Array(512 * 1024));
        controller.enqueue(new TextEncoder().encode("\r\n--b--\r\n"));
        controller.close();
      },
    });
    const chunked = await fetch(`${url}/v1/files`, {
      method: "POST",
      headers: { ...auth(ALICE), "content-type": "multipart/form-data; boundary=b" },
      body: streamed,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(
      ((await (await fetch(`${url}/v1/files`, { headers: auth(ALICE) })).json()) as FileJson[]).length,
    ).toBe(before);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/orion_file_uploads_total\{path="multipart",outcome="too_large"\} [1-9]/);
  });

  it("a client that goes away mid-upload leaves no chunks behind (multipart and presigned)", async () => {
    const db = new Database(join(app.config.store.dataDir, "orion.db"), { readonly: true });
    const chunks = () => (db.prepare("SELECT count(*) AS n FROM file_chunks").get() as { n: number }).n;
    const before = chunks();
    const signed = (await (
      await fetch(`${url}/v1/files/presigned-url`, {
        method: "POST",
        headers: { ...auth(ALICE), "content-type": "application/json" },
        body: JSON.stringify({ filename: "cut.bin" }),
      })
    ).json()) as { url: string };
    const { port } = new URL(url);
    const framing = '--b\r\ncontent-disposition: form-data; name="file"; filename="cut.bin"\r\n\r\n';
    for (const [path, headers, head] of [
      ["/v1/files", { ...auth(ALICE), "content-type": "multipart/form-data; boundary=b" }, framing],
      [new URL(signed.url).pathname + new URL(signed.url).search, {}, ""],
    ] as const) {
      const req = http.request({
        host: "127.0.0.1",
        port,
        path,
        method: path === "/v1/files" ? "POST" : "PUT",
        headers: { ...headers, "content-length": String(FILE_MAX) },
      });
      req.on("error", () => {});
      req.write(head);
      req.write(Buffer.alloc(1536 * 1024, 5)); // more than a chunk: one is stored before the cut
      await new Promise((r) => setTimeout(r, 300));
      req.destroy();
    }
    await expect.poll(chunks, { timeout: 3_000 }).toBe(before);
    db.close();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("unknown purpose → 422, in the query or as a form field", async () => {
    const inQuery = await upload(ALICE, png, "p.png", "?purpose=nonsense");
    expect(inQuery.status).toBe(422);
    expect(((await inQuery.json()) as ErrorBody).detail).toEqual([
      expect.objectContaining({ loc: ["query", "purpose"] }),
    ]);
    const inForm = await post(form({ purpose: "nonsense", file: new File([new Uint8Array(png)], "p.png") }));
    expect(inForm.status).toBe(422);
    const ok = await post(form({ purpose: "vision", file: new File([new Uint8Array(png)], "p.png") }));
    expect(((await ok.json()) as FileJson).purpose).toBe("vision");
  });

  it("an empty file → 422; a malformed MD5 → 422; bad paging → 422", async () => {
    expect((await upload(ALICE, Buffer.alloc(0), "empty.txt")).status).toBe(422);
    expect((await fetch(`${url}/v1/files/hash/not-an-md5`, { headers: auth(ALICE) })).status).toBe(422);
    expect((await fetch(`${url}/v1/files/hash/${"g".repeat(32)}`, { headers: auth(ALICE) })).status).toBe(
      422,
    );
    expect((await fetch(`${url}/v1/files?limit=0`, { headers: auth(ALICE) })).status).toBe(422);
    expect((await fetch(`${url}/v1/files?skip=-1`, { headers: auth(ALICE) })).status).toBe(422);
  });

  it("keeps an owner under ORION_FILES_MAX_BYTES_PER_OWNER, counting the same content once", async () => {
    const vlm = new VlmRun({ apiKey: BOB, baseURL: `${url}/v1` });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await upload(BOB, Buffer.alloc(FILE_MAX - 1000, i + 1), `part${i}.bin`);
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as FileJson).id);
    }
    expect((await upload(BOB, Buffer.alloc(FILE_MAX - 1000, 1), "same-again.bin")).status).toBe(201);
    const over = await upload(BOB, Buffer.alloc(FILE_MAX - 1000, 9), "third.bin");
    expect(over.status).toBe(413);
    expect(((await over.json()) as ErrorBody).error.code).toBe("files_quota_exceeded");
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/orion_file_uploads_total\{path="multipart",outcome="duplicate"\} [1-9]/);
    expect(metrics).toMatch(/orion_file_uploads_total\{path="multipart",outcome="owner_full"\} [1-9]/);
    for (const id of ids) await vlm.files.delete(id);
    expect((await upload(BOB, Buffer.alloc(FILE_MAX - 1000, 9), "third.bin")).status).toBe(201);
  });
});

describe("what a file holds decides what it is", () => {
  async function pdfBytes(pages: number): Promise<Buffer> {
    const doc = await PDFDocument.create();
    for (let i = 0; i < pages; i++) doc.addPage([200, 200]).drawText(`page ${i + 1}`, { x: 20, y: 100 });
    return Buffer.from(await doc.save());
  }

  it("a PDF named .png is a document (content type, artifact kind)", async () => {
    const pdf = await pdfBytes(1);
    const file = (await (await upload(ALICE, pdf, "not-really.png")).json()) as FileJson;
    const content = await fetch(`${url}/v1/files/${file.id}/content`, { headers: auth(ALICE) });
    expect(content.headers.get("content-type")).toBe("application/pdf");
    const res = await postChat(
      url,
      { session_id: "files-pdf-as-png", toolsets: ["document"], ...chatNaming(file.id) },
      auth(ALICE),
    );
    expect(res.status).toBe(200);
    const list = (await (
      await fetch(`${url}/v1/artifacts/list?session_id=files-pdf-as-png`, { headers: auth(ALICE) })
    ).json()) as { items: { object_id: string }[] };
    expect(list.items.map((i) => i.object_id)).toEqual([expect.stringMatching(/^doc_/)]);
  });

  it("an input_file given by URL is classified by its content too (an image answers as an image)", async () => {
    const res = await postChat(
      url,
      {
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "How big is this image?" },
              {
                type: "input_file",
                file_url: `data:application/octet-stream;base64,${png.toString("base64")}`,
              },
            ],
          },
        ],
      },
      auth(ALICE),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toMatch(/^img_[0-9a-f]{6}: 64×32 png/);
  });

  it("a zip, a decompression-bomb image and an oversized document meet the attachment caps", async () => {
    const zip = (await (
      await upload(ALICE, lyingZip("bomb.txt", 1_000_000, 10), "bomb.zip")
    ).json()) as FileJson;
    const zipChat = await postChat(url, chatNaming(zip.id), auth(ALICE));
    expect(zipChat.status).toBe(422);
    expect(((await zipChat.json()) as ErrorBody).detail).toEqual([
      expect.objectContaining({
        loc: ["body", "messages", 0, "content", 1, "input_file", "file_id"],
        type: "type_mismatch",
      }),
    ]);
    const bomb = (await (
      await upload(ALICE, declaredSizePng(100_000, 100_000), "huge.png")
    ).json()) as FileJson;
    const bombChat = await postChat(url, chatNaming(bomb.id), auth(ALICE));
    expect(bombChat.status).toBe(422);
    const bigPdf = Buffer.concat([await pdfBytes(1), Buffer.alloc(1024 * 1024 + 10, 32)]);
    const doc = (await (await upload(ALICE, bigPdf, "big.pdf")).json()) as FileJson;
    const docChat = await postChat(url, chatNaming(doc.id), auth(ALICE));
    expect(docChat.status).toBe(422);
    expect(JSON.stringify(await docChat.json())).toContain("too_large");
    for (const f of [zip, bomb, doc])
      await fetch(`${url}/v1/files/${f.id}`, { method: "DELETE", headers: auth(ALICE) });
  });
});

describe("presigned uploads", () => {
  const presign = async (body: Record<string, unknown>, key = ALICE) =>
    fetch(`${url}/v1/files/presigned-url`, {
      method: "POST",
      headers: { ...auth(key), "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  type Presigned = {
    id: string;
    url: string;
    upload_method: string;
    content_type: string;
    expiration: number;
  };

  it("PUT to the signed URL, then verify-upload answers the file; the URL works once", async () => {
    const res = await presign({ filename: "signed.png", purpose: "assistants", expiration: 600 });
    expect(res.status).toBe(200);
    const signed = (await res.json()) as Presigned;
    expect(signed).toMatchObject({ upload_method: "PUT", expiration: 600 });
    expect(signed.url.startsWith(`${url}/v1/files/uploads/${signed.id}?`)).toBe(true);
    expect((await fetch(`${url}/v1/files/verify-upload/${signed.id}`, { headers: auth(ALICE) })).status).toBe(
      409,
    );
    const picture = await sharp({ create: { width: 10, height: 10, channels: 3, background: "#123456" } })
      .png()
      .toBuffer();
    const put = await fetch(signed.url, {
      method: "PUT",
      body: new Uint8Array(picture),
      headers: { "content-type": "image/png" },
    });
    expect(put.status).toBe(200);
    const verified = (await (
      await fetch(`${url}/v1/files/verify-upload/${signed.id}`, { headers: auth(ALICE) })
    ).json()) as FileJson;
    expect(verified).toMatchObject({ filename: "signed.png", bytes: picture.length });
    const again = await fetch(signed.url, { method: "PUT", body: new Uint8Array(png) });
    expect(again.status).toBe(403);
    expect(((await again.json()) as ErrorBody).error.message).toMatch(/used/);
    await fetch(`${url}/v1/files/${verified.id}`, { method: "DELETE", headers: auth(ALICE) });
  });

  it("a tampered, expired or unsigned URL → 403", async () => {
    const signed = (await (await presign({ filename: "t.png", expiration: 1 })).json()) as Presigned;
    const tampered = signed.url.replace(
      /signature=([0-9a-f])/,
      (_m, c: string) => `signature=${c === "0" ? "1" : "0"}`,
    );
    expect((await fetch(tampered, { method: "PUT", body: new Uint8Array(png) })).status).toBe(403);
    const otherExpiry = signed.url.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 3600}`);
    expect((await fetch(otherExpiry, { method: "PUT", body: new Uint8Array(png) })).status).toBe(403);
    expect(
      (await fetch(`${url}/v1/files/uploads/${signed.id}`, { method: "PUT", body: new Uint8Array(png) }))
        .status,
    ).toBe(403);
    await new Promise((r) => setTimeout(r, 2_100));
    const expired = await fetch(signed.url, { method: "PUT", body: new Uint8Array(png) });
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as ErrorBody).error.message).toMatch(/expired/);
  });

  it("a PUT larger than declared, or over the cap → 413, nothing stored, and the URL can be retried", async () => {
    const count = async () =>
      ((await (await fetch(`${url}/v1/files`, { headers: auth(ALICE) })).json()) as FileJson[]).length;
    const before = await count();
    const declared = (await (await presign({ filename: "d.bin", bytes: 1000 })).json()) as Presigned;
    expect(
      (await fetch(declared.url, { method: "PUT", body: new Uint8Array(Buffer.alloc(1001, 1)) })).status,
    ).toBe(413);
    const capped = (await (await presign({ filename: "c.bin" })).json()) as Presigned;
    const tooBig = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(512 * 1024).fill(i + 1));
        controller.close();
      },
    });
    const streamed = await fetch(capped.url, { method: "PUT", body: tooBig, duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await count()).toBe(before);
    expect(
      (await fetch(declared.url, { method: "PUT", body: new Uint8Array(Buffer.alloc(1000, 3)) })).status,
    ).toBe(200);
  });

  it("refuses a bad presign request: unknown purpose, no filename, an expiration out of range", async () => {
    expect((await presign({ filename: "x", purpose: "nonsense" })).status).toBe(422);
    expect((await presign({ purpose: "assistants" })).status).toBe(422);
    expect((await presign({ filename: "x", expiration: 10 ** 9 })).status).toBe(422);
  });
});

describe("over h2c", () => {
  it("takes a multipart upload and a presigned PUT from curl --http2-prior-knowledge", async () => {
    const curl = async (...args: string[]) =>
      (await promisify(execFile)("curl", ["-s", "--http2-prior-knowledge", ...args], { encoding: "utf8" }))
        .stdout;
    const bytes = Buffer.alloc(1024 * 1024 + 5, 9);
    writeFileSync(join(dir, "h2.bin"), bytes);
    const direct = JSON.parse(
      await curl(
        `${url}/v1/files`,
        "-H",
        `authorization: Bearer ${ALICE}`,
        "-F",
        `file=@${join(dir, "h2.bin")}`,
      ),
    ) as FileJson;
    expect(direct).toMatchObject({ filename: "h2.bin", bytes: bytes.length });
    const signed = JSON.parse(
      await curl(
        `${url}/v1/files/presigned-url`,
        "-H",
        `authorization: Bearer ${ALICE}`,
        "-H",
        "content-type: application/json",
        "-d",
        '{"filename":"h2-put.bin"}',
      ),
    ) as { url: string };
    writeFileSync(join(dir, "h2-put.bin"), Buffer.alloc(1024 * 1024 + 7, 3));
    const put = JSON.parse(await curl("-T", join(dir, "h2-put.bin"), signed.url)) as FileJson;
    expect(put).toMatchObject({ filename: "h2-put.bin", bytes: 1024 * 1024 + 7 });
    for (const id of [direct.id, put.id])
      await fetch(`${url}/v1/files/${id}`, { method: "DELETE", headers: auth(ALICE) });
  });
});

describe("/openapi.json describes the Files API as served", () => {
  it("documents every files route, and real replies (successes and errors) match it", async () => {
    const spec = (await (await fetch(`${url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
      >;
    };
    for (const route of app.routes().filter((r) => r.name.startsWith("files."))) {
      expect(
        spec.paths[route.path]?.[route.method.toLowerCase()],
        `${route.method} ${route.path}`,
      ).toBeDefined();
    }
    const ajv = new Ajv2020({ strict: false });
    const check = async (template: string, res: Response) => {
      const method = (res as Response & { method?: string }).method ?? "get";
      const responses = spec.paths[template]?.[method]?.responses ?? {};
      const schema = (responses[String(res.status)] ?? responses[`${String(res.status)[0]}XX`])?.content?.[
        "application/json"
      ]?.schema;
      expect(schema, `${method} ${template} ${res.status}`).toBeDefined();
      const validate = ajv.compile(schema as object);
      expect(
        validate(await res.json()),
        `${template} ${res.status}: ${ajv.errorsText(validate.errors)}`,
      ).toBe(true);
    };
    const as = (method: string, res: Response) => Object.assign(res, { method });
    const picture = await sharp({ create: { width: 7, height: 7, channels: 3, background: "#abcdef" } })
      .png()
      .toBuffer();
    const uploaded = await upload(ALICE, picture, "doc.png");
    const file = (await uploaded.clone().json()) as FileJson;
    await check("/v1/files", as("post", uploaded));
    await check("/v1/files", await fetch(`${url}/v1/files`, { headers: auth(ALICE) }));
    await check("/v1/files", as("post", await upload(ALICE, Buffer.alloc(0), "e.txt")));
    await check("/v1/files/{id}", await fetch(`${url}/v1/files/${file.id}`, { headers: auth(ALICE) }));
    await check("/v1/files/{id}", await fetch(`${url}/v1/files/nope`, { headers: auth(ALICE) }));
    const md5 = createHash("md5").update(picture).digest("hex");
    await check("/v1/files/hash/{md5}", await fetch(`${url}/v1/files/hash/${md5}`, { headers: auth(ALICE) }));
    const presigned = await fetch(`${url}/v1/files/presigned-url`, {
      method: "POST",
      headers: { ...auth(ALICE), "content-type": "application/json" },
      body: JSON.stringify({ filename: "x.bin" }),
    });
    const signed = (await presigned.clone().json()) as { id: string; url: string };
    await check("/v1/files/presigned-url", as("post", presigned));
    await check(
      "/v1/files/uploads/{id}",
      as("put", await fetch(signed.url, { method: "PUT", body: new Uint8Array([1, 2, 3]) })),
    );
    await check(
      "/v1/files/verify-upload/{id}",
      await fetch(`${url}/v1/files/verify-upload/${signed.id}`, { headers: auth(ALICE) }),
    );
    await check(
      "/v1/files/{id}",
      as("delete", await fetch(`${url}/v1/files/${file.id}`, { method: "DELETE", headers: auth(ALICE) })),
    );
  });
});
