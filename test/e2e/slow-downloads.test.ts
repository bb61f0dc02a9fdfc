import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/server/app.js";
import { startBareServer } from "../support/server.js";

// Replies under backpressure: a client that stops reading a file download, or a large reply sent
// whole, is cut at the stall deadline (ORION_STREAM_STALL_TIMEOUT_MS); a long download leaves no
// listener behind per wait.

const KEY = "sk-downloads-0001";
const SIZE = 24 * 1024 * 1024; // more than the loopback socket buffers hold, in many stored chunks
const STALL_MS = 1_000;
let app: App;
let url: string;
let fileId: string;
let digest: string;
const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);

beforeAll(async () => {
  ({ app, url } = await startBareServer({
    ORION_API_KEYS: `${KEY}=dana`,
    ORION_FILE_MAX_BYTES: String(32 * 1024 * 1024),
    ORION_FILES_MAX_BYTES_PER_OWNER: String(64 * 1024 * 1024),
    ORION_STREAM_STALL_TIMEOUT_MS: String(STALL_MS),
  }));
  const data = randomBytes(SIZE);
  digest = createHash("sha256").update(data).digest("hex");
  const body = new FormData();
  body.append("file", new File([new Uint8Array(data)], "big.bin"));
  const res = await fetch(`${url}/v1/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}` },
    body,
  });
  expect(res.status).toBe(201);
  fileId = ((await res.json()) as { id: string }).id;
  process.on("warning", onWarning);
}, 60_000);

afterAll(async () => {
  process.off("warning", onWarning);
  await app?.shutdown(0);
});

/** GETs `path`; resolves with the response, its body not yet read. */
function download(path = `/v1/files/${fileId}/content`): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    http.get(`${url}${path}`, { headers: { authorization: `Bearer ${KEY}` } }, resolve).on("error", reject);
  });
}

/** Pauses `res` for three stall deadlines, then reads on: "cut" if the server ended it meanwhile. */
async function readAfterStalling(res: http.IncomingMessage): Promise<{ ended: string; bytes: number }> {
  res.pause();
  await new Promise((resolve) => setTimeout(resolve, STALL_MS * 3));
  let bytes = 0;
  const ended = await new Promise<string>((resolve) => {
    res.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    res.once("end", () => resolve(res.complete ? "complete" : "cut"));
    res.once("error", () => resolve("cut"));
    res.once("aborted", () => resolve("cut"));
    res.resume();
  });
  return { ended, bytes };
}

describe("file downloads under backpressure", () => {
  it("sends a large file whole, leaving no listener behind for each time the socket filled", async () => {
    const res = await download();
    expect(res.statusCode).toBe(200);
    const hash = createHash("sha256");
    let bytes = 0;
    for await (const chunk of res) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    expect(bytes).toBe(SIZE);
    expect(hash.digest("hex")).toBe(digest);
    expect(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning"))).toEqual([]);
  }, 30_000);

  it("cuts a client that stops reading at the stall deadline, and keeps serving others", async () => {
    const res = await download();
    expect(res.statusCode).toBe(200);
    const probe = fetch(`${url}/healthz`); // another connection, served meanwhile
    const { ended, bytes } = await readAfterStalling(res);
    expect((await probe).status).toBe(200);
    // What the buffers held arrived, then the cut (never the whole file).
    expect(ended).toBe("cut");
    expect(bytes).toBeLessThan(SIZE);
    const again = await fetch(`${url}/v1/files/${fileId}/content`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(Buffer.from(await again.arrayBuffer()).length).toBe(SIZE);
  }, 30_000);

  it("cuts a client that never reads a large reply sent whole (a session of 16 MiB)", async () => {
    const sessionId = "slow-reader-session";
    const words = "w".repeat(4 * 1024 * 1024 - 64);
    for (let turn = 0; turn < 4; turn++) {
      const chat = await fetch(`${url}/v1/openai/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({
          session_id: sessionId,
          messages: [{ role: "user", content: `${turn} ${words}` }],
        }),
      });
      expect(chat.status).toBe(200);
      await chat.arrayBuffer();
    }
    const res = await download(`/v1/sessions/${sessionId}`);
    expect(res.statusCode).toBe(200);
    const { ended, bytes } = await readAfterStalling(res);
    expect(ended).toBe("cut");
    expect(bytes).toBeLessThan(16 * 1024 * 1024);
    const whole = await fetch(`${url}/v1/sessions/${sessionId}`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect((await whole.arrayBuffer()).byteLength).toBeGreaterThan(16 * 1024 * 1024);
  }, 60_000);
});
