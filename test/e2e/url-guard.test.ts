import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/server/app.js";
import { postChat, startBareServer, startServer, type TestServer } from "../support/server.js";

let files: http.Server;
let port: number;
let connections = 0;
beforeAll(async () => {
  files = http.createServer((_req, res) =>
    res.writeHead(200, { "content-type": "text/csv" }).end("a,b\n1,2\n"),
  );
  files.on("connection", () => {
    connections++;
  });
  await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
  port = (files.address() as AddressInfo).port;
});
afterAll(() => {
  files.closeAllConnections();
  return new Promise((r) => files.close(r));
});

const withFile = (url: string, text = "look at this") => ({
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text },
        { type: "file_url", file_url: { url } },
      ],
    },
  ],
});

describe("remote URLs in a request", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it.each([
    [`http://127.0.0.1:PORT/data.csv`],
    [`http://localhost:PORT/data.csv`],
    ["http://169.254.169.254/latest/meta-data/"],
    ["http://10.0.0.8/secret"],
  ])("refuses %s on arrival with a 422 naming the part; nothing is contacted", async (template) => {
    const before = server.upstream.calls.length;
    const res = await postChat(server.url, withFile(template.replace("PORT", String(port))));
    expect(res.status).toBe(422);
    const body = (await res.json()) as { detail: { loc: unknown[]; type: string; msg: string }[] };
    expect(body.detail[0]).toMatchObject({
      loc: ["body", "messages", 0, "content", 1, "file_url", "url"],
      type: "url_refused",
    });
    expect(body.detail[0]?.msg).toContain("refused");
    expect(body.detail[0]?.msg).toMatch(/ORION_URL_ALLOW_HOSTS=.*ORION_ALLOW_PRIVATE_URLS=true/);
    expect(server.upstream.calls.length).toBe(before); // never handed to the model
    expect(connections).toBe(0);
  });
});

describe("load_url through the guard", () => {
  let app: App;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await startBareServer({ ORION_URL_ALLOW_HOSTS: `127.0.0.1:${port}` }));
  });
  afterAll(() => app.shutdown(0));

  it("fetches an allowed host into an artifact the session can read back", async () => {
    const fileUrl = `http://127.0.0.1:${port}/data.csv`;
    const res = await postChat(
      url,
      { messages: [{ role: "user", content: `Load the file at this url ${fileUrl}` }], toolsets: ["core"] },
      { "x-browser-id": "loader" },
    );
    const body = (await res.json()) as { session_id: string; choices: { message: { content: string } }[] };
    expect(res.status).toBe(200);
    const id = /stored 8 bytes of text\/csv as (doc_[0-9a-f]{6})/.exec(
      body.choices[0]?.message.content ?? "",
    )?.[1];
    expect(id).toBeDefined();
    const artifact = await fetch(`${url}/v1/artifacts?object_id=${id}&session_id=${body.session_id}`, {
      headers: { "x-browser-id": "loader" },
    });
    expect(await artifact.text()).toBe("a,b\n1,2\n");
    expect(connections).toBe(1);
  });
});

describe("a remote attachment when the client leaves", () => {
  it("stops fetching it at once instead of at the fetch timeout", async () => {
    let closed: () => void = () => {};
    const fetchClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    let started: () => void = () => {};
    const fetchStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    // Sends headers and a first byte, then nothing: a slow remote file.
    const slow = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/csv" });
      res.write("a");
      started();
      req.socket.once("close", () => closed());
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    const slowPort = (slow.address() as AddressInfo).port;
    const { app, url } = await startBareServer({
      ORION_URL_ALLOW_HOSTS: `127.0.0.1:${slowPort}`,
      ORION_FETCH_TIMEOUT_MS: "60000",
    });
    try {
      const client = new AbortController();
      const answer = fetch(`${url}/v1/openai/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...withFile(`http://127.0.0.1:${slowPort}/slow.csv`), toolsets: ["core"] }),
        signal: client.signal,
      }).catch(() => undefined);
      await fetchStarted;
      client.abort();
      await answer;
      // Without cancellation the server would hold this fetch open for 60 s (the test would time out).
      await fetchClosed;
      expect(await app.openConnections()).toBeLessThanOrEqual(1);
    } finally {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
      await app.shutdown(0);
    }
  });
});
