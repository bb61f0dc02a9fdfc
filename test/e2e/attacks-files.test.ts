import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileService } from "../../src/files/file-service.js";
import { startServer, type TestServer } from "../support/server.js";

const alice = "orion_sk_files_attack_alice";
const bob = "orion_sk_files_attack_bob";
const boundary = "orionattackboundary";
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ ORION_API_KEYS: `${alice}=alice,${bob}=bob` });
});
afterAll(async () => {
  await server?.close();
});

const head = (name: string) =>
  `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${name}"\r\n` +
  "content-type: application/octet-stream\r\n\r\n";

/** An upload whose file part has begun and then waits: it holds one of its owner's upload slots. */
function stalledUpload(key: string) {
  const req = request(`${server.url}/v1/files?purpose=assistants`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": `multipart/form-data; boundary=${boundary}`,
      "transfer-encoding": "chunked",
    },
  });
  req.on("error", () => {});
  req.write(head("slow.bin"));
  req.write(Buffer.alloc(64 * 1024, 7));
  return () => req.destroy();
}

async function upload(key: string, content: string) {
  const form = new FormData();
  form.append("file", new Blob([content]), "small.txt");
  const res = await fetch(`${server.url}/v1/files?purpose=assistants`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
}

describe("attacks on uploads", () => {
  it("one caller runs at most its share of uploads at once: past it 429, others still upload", async () => {
    const limit = FileService.UPLOADS_PER_OWNER;
    const stalled = Array.from({ length: limit }, () => stalledUpload(alice));
    // Each stalled upload takes its slot once its file part arrives.
    let extra = await upload(alice, "one too many");
    for (let i = 0; i < 50 && extra.status !== 429; i++) {
      await new Promise((r) => setTimeout(r, 100));
      extra = await upload(alice, `one too many ${i}`);
    }
    expect(extra.status).toBe(429);
    expect(extra.body.error?.message).toContain(`${limit} uploads of this caller`);
    expect((await upload(bob, "bob is not held up")).status).toBe(201);

    for (const stop of stalled) stop();
    let again = { status: 0 };
    for (let i = 0; i < 50 && again.status !== 201; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await upload(alice, `a slot came back ${i}`);
    }
    expect(again.status).toBe(201);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 30_000);
});
