import { readFileSync } from "node:fs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProbe } from "../support/probe.js";
import { freshDataDir, uniquePrefix } from "../support/server.js";
import { type ServerProcess, spawnServer } from "../support/server-process.js";

// Real server processes (src/main.ts): files survive a restart on the durable embedded store and
// on Redis, two replicas on one Redis share them, and a 150 MB presigned upload leaves RSS flat.

const KEY = "sk-durable-files-01";
const auth = { authorization: `Bearer ${KEY}` };
const env = { ORION_API_KEYS: `${KEY}=carol`, ORION_PLAYGROUND: "off" };
const running: ServerProcess[] = [];
let png: Buffer;

beforeAll(async () => {
  png = await sharp({ create: { width: 120, height: 45, channels: 3, background: "#884422" } })
    .png()
    .toBuffer();
});
afterAll(() => {
  for (const server of running) server.stop();
});

async function start(extra: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer({ ...env, ...extra });
  running.push(server);
  return server;
}

async function stop(server: ServerProcess) {
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.stop();
  await exited;
}

async function upload(url: string, data: Buffer, filename: string) {
  const body = new FormData();
  body.append("file", new File([new Uint8Array(data)], filename));
  const res = await fetch(`${url}/v1/files`, { method: "POST", headers: auth, body });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; bytes: number };
}

async function askSize(url: string, fileId: string): Promise<string> {
  const res = await fetch(`${url}/v1/openai/chat/completions`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "How big is this image?" },
            { type: "input_file", file_id: fileId },
          ],
        },
      ],
    }),
  });
  expect(res.status).toBe(200);
  return (
    ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? ""
  );
}

/** Resident set size of a process, in MB, from /proc. */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) / 1024;
}

/** A body of `mb` MiB, made one MiB at a time as it is sent. */
function bodyOf(mb: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent === mb) return controller.close();
      controller.enqueue(new Uint8Array(1024 * 1024).fill(sent % 251));
      sent++;
    },
  });
}

/** Uploads `mb` MiB through a presigned URL while sampling the server's RSS; the figures. */
async function presignedUpload(server: ServerProcess, mb: number) {
  const pid = server.child.pid as number;
  const presigned = (await (
    await fetch(`${server.url}/v1/files/presigned-url`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ filename: "big.bin", purpose: "assistants" }),
    })
  ).json()) as { id: string; url: string };
  const before = rssMb(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 50);
  const probe = startProbe(server.url, 20);
  const started = performance.now();
  const res = await fetch(presigned.url, { method: "PUT", body: bodyOf(mb), duplex: "half" } as RequestInit);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const probed = await probe();
  expect(res.status).toBe(200);
  const file = (await res.json()) as { id: string; bytes: number };
  expect(file.bytes).toBe(mb * 1024 * 1024);
  const verify = await fetch(`${server.url}/v1/files/verify-upload/${presigned.id}`, { headers: auth });
  expect(verify.status).toBe(200);
  return { file, before, peak, after: rssMb(pid), mbPerSecond: mb / seconds, probed };
}

describe.each([
  ["the durable embedded store", () => ({ ORION_DATA_DIR: freshDataDir() })],
  ["Redis", () => ({ REDIS_URL: "redis://127.0.0.1:6379", ORION_REDIS_PREFIX: uniquePrefix() })],
])("files on %s", (_name, storeEnv) => {
  it("survive a restart: metadata, content, and a chat about them", async () => {
    const store = storeEnv();
    const first = await start(store);
    const file = await upload(first.url, png, "kept.png");
    await stop(first);
    const second = await start(store);
    const got = await fetch(`${second.url}/v1/files/${file.id}`, { headers: auth });
    expect(await got.json()).toMatchObject({ id: file.id, filename: "kept.png", bytes: png.length });
    const content = await fetch(`${second.url}/v1/files/${file.id}/content`, { headers: auth });
    expect(Buffer.from(await content.arrayBuffer())).toEqual(png);
    expect(await askSize(second.url, file.id)).toMatch(/: 120×45 png/);
    await stop(second);
  }, 60_000);

  it("take 150 MB through the presigned path with flat server RSS", async () => {
    const server = await start(storeEnv());
    // A first, smaller upload warms the path (lazy imports, the store's caches, the allocator's
    // arenas): what is measured is what 150 MB more costs.
    const warm = await presignedUpload(server, 20);
    const figures = await presignedUpload(server, 150);
    console.log(
      `${_name}: 20 MB warm-up: RSS before ${warm.before.toFixed(0)} MB, peak ${warm.peak.toFixed(0)} MB`,
    );
    console.log(
      `${_name}: 150 MB presigned: ${figures.mbPerSecond.toFixed(1)} MB/s; RSS before ${figures.before.toFixed(0)} MB, peak ${figures.peak.toFixed(0)} MB, after ${figures.after.toFixed(0)} MB`,
    );
    expect(figures.peak - figures.before).toBeLessThan(40);
    // Other requests are served all along: no chunk holds the event loop.
    console.log(
      `${_name}: /healthz during the upload: worst ${figures.probed.worstMs.toFixed(0)} ms of ${figures.probed.count}`,
    );
    expect(figures.probed.failures).toBe(0);
    expect(figures.probed.worstMs).toBeLessThan(500);
    // Read back whole, chunk by chunk, and deleted.
    const content = await fetch(`${server.url}/v1/files/${figures.file.id}/content`, { headers: auth });
    let total = 0;
    for await (const chunk of content.body as ReadableStream<Uint8Array>) total += chunk.byteLength;
    expect(total).toBe(150 * 1024 * 1024);
    const deleted = await fetch(`${server.url}/v1/files/${figures.file.id}`, {
      method: "DELETE",
      headers: auth,
    });
    expect(deleted.status).toBe(200);
    await stop(server);
  }, 180_000);
});

describe("two replicas on one Redis", () => {
  it("upload on one, chat about it on the other", async () => {
    const store = { REDIS_URL: "redis://127.0.0.1:6379", ORION_REDIS_PREFIX: uniquePrefix() };
    const [a, b] = await Promise.all([start(store), start(store)]);
    const file = await upload(a.url, png, "shared.png");
    expect(await askSize(b.url, file.id)).toMatch(/: 120×45 png/);
    const listed = (await (await fetch(`${b.url}/v1/files`, { headers: auth })).json()) as { id: string }[];
    expect(listed.map((f) => f.id)).toEqual([file.id]);
    await Promise.all([stop(a), stop(b)]);
  }, 60_000);
});
