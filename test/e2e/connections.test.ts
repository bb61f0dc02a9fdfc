import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { protocolOf } from "../../src/server/listener.js";
import { hello, startServer, type TestServer } from "../support/server.js";

const SHORT = {
  ORION_SNIFF_TIMEOUT_MS: "400",
  ORION_HEADERS_TIMEOUT_MS: "500",
  ORION_REQUEST_TIMEOUT_MS: "800",
  ORION_IDLE_TIMEOUT_MS: "600",
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function connect(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Everything the server sends until it closes the connection. */
function readUntilClosed(socket: net.Socket): Promise<string> {
  let text = "";
  socket.on("data", (d) => {
    text += String(d);
  });
  return new Promise((resolve) => {
    socket.once("close", () => resolve(text));
    socket.on("error", () => {});
  });
}

/** /healthz on a fresh connection must answer while an attack is under way. */
async function probe(url: string): Promise<number> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return res.status;
}

function chatRequest(): string {
  const body = JSON.stringify(hello);
  return (
    "POST /v1/openai/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n" +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}

describe("routing a connection by its first bytes", () => {
  it("decides on the first byte that departs from the HTTP/2 preface", () => {
    expect(protocolOf(Buffer.from("G"))).toBe("h1");
    expect(protocolOf(Buffer.from("P"))).toBe("undecided");
    expect(protocolOf(Buffer.from("PO"))).toBe("h1");
    expect(protocolOf(Buffer.from("PRI * HTTP/2.0\r\n"))).toBe("undecided");
    expect(protocolOf(Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))).toBe("h2");
    expect(protocolOf(Buffer.from("PRI * HTTP/1.1\r\n"))).toBe("h1");
  });
});

describe("connections that start slowly, never finish or leave", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(SHORT);
  });
  afterAll(() => server.close());

  it("serves a chat POST whose first segment is a lone 'P'", async () => {
    const socket = await connect(server.url);
    socket.setNoDelay(true);
    const answer = readUntilClosed(socket);
    const request = chatRequest();
    socket.write(request.slice(0, 1));
    await sleep(300);
    expect(await probe(server.url)).toBe(200);
    socket.write(request.slice(1));
    const text = await answer;
    expect(text.startsWith("HTTP/1.1 200")).toBe(true);
    expect(text).toContain("Hello from the fake upstream.");
  });

  it("serves HTTP/2 whose preface arrives a few bytes at a time", async () => {
    const { hostname, port } = new URL(server.url);
    const session = http2.connect(server.url, {
      createConnection: () => {
        const socket = net.connect(Number(port), hostname);
        const write = socket.write.bind(socket);
        let first = true;
        // The client's first write carries the preface: send it in three pieces.
        socket.write = ((data: Buffer, ...rest: never[]) => {
          if (!first) return write(data, ...rest);
          first = false;
          const bytes = Buffer.from(data);
          write(bytes.subarray(0, 1));
          setTimeout(() => write(bytes.subarray(1, 10)), 100);
          setTimeout(() => write(bytes.subarray(10), ...rest), 200);
          return true;
        }) as typeof socket.write;
        return socket;
      },
    });
    const stream = session.request({ ":path": "/healthz" });
    const status = await new Promise((resolve) => stream.once("response", (h) => resolve(h[":status"])));
    stream.resume();
    expect(status).toBe(200);
    session.close();
  });

  it("closes a partial preface followed by silence, serving others meanwhile", async () => {
    const socket = await connect(server.url);
    const closed = readUntilClosed(socket);
    socket.write("PRI * HTTP/2.0\r\n");
    for (let i = 0; i < 3; i++) {
      expect(await probe(server.url)).toBe(200);
      await sleep(50);
    }
    expect(await closed).toBe("");
  });

  it("leaves nothing behind when the client disconnects mid-preface", async () => {
    const count = () => server.app.openConnections();
    const before = await count();
    const sockets = await Promise.all(Array.from({ length: 5 }, () => connect(server.url)));
    for (const s of sockets) s.write("PR");
    await sleep(50);
    expect(await count()).toBe(before + 5);
    for (const s of sockets) s.destroy();
    for (let i = 0; i < 50 && (await count()) !== before; i++) await sleep(20);
    expect(await count()).toBe(before);
    expect(await probe(server.url)).toBe(200);
  });

  it("closes slowloris connections, trickling or silent, at their deadlines", async () => {
    const silent = await Promise.all(Array.from({ length: 3 }, () => connect(server.url)));
    const trickling = await Promise.all(Array.from({ length: 3 }, () => connect(server.url)));
    const outcomes = [...silent, ...trickling].map(readUntilClosed);
    const header = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    let sent = 0;
    const drip = setInterval(() => {
      for (const s of trickling) if (!s.destroyed) s.write(header[sent % header.length] as string);
      sent++;
    }, 30);
    try {
      // A normal client is served throughout.
      for (let i = 0; i < 5; i++) {
        expect(await probe(server.url)).toBe(200);
        await sleep(100);
      }
      const texts = await Promise.all(outcomes);
      // Silent ones never chose a protocol; trickling ones ran out of header time.
      for (const text of texts.slice(0, 3)) expect(text).toBe("");
      for (const text of texts.slice(3)) expect(text).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
    }
  });

  it("ends a request whose body never finishes arriving", async () => {
    const socket = await connect(server.url);
    const answer = readUntilClosed(socket);
    socket.write(
      "POST /v1/openai/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{",
    );
    const drip = setInterval(() => socket.writable && socket.write(" "), 50);
    try {
      expect(await answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
    }
  });

  it("closes an idle keep-alive connection", async () => {
    const socket = await connect(server.url);
    const answer = readUntilClosed(socket);
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toMatch(/keep-alive: timeout=0?\d/i);
  });

  it("closes an HTTP/2 session with no open stream, and resets a stream whose upload stalls", async () => {
    const session = http2.connect(server.url);
    session.on("error", () => {});
    const ping = session.request({ ":path": "/healthz" });
    ping.resume();
    await new Promise((resolve) => ping.once("close", resolve));
    const upload = session.request({
      ":method": "POST",
      ":path": "/v1/openai/chat/completions",
      "content-type": "application/json",
    });
    upload.on("error", () => {});
    upload.write("{");
    const code = await new Promise<number>((resolve) => upload.once("close", () => resolve(upload.rstCode)));
    expect(code).toBe(http2.constants.NGHTTP2_CANCEL);
    await new Promise((resolve) => session.once("close", resolve));
    expect(session.closed || session.destroyed).toBe(true);
  });

  it("does not cut a streaming response that outlives the deadlines", async () => {
    server.upstream.script(async (_call, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; i < 4; i++) {
        res.write(
          `data: ${JSON.stringify({ id: "s", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: `part${i} ` }, finish_reason: null }] })}\n\n`,
        );
        await sleep(400);
      }
      res.write(
        `data: ${JSON.stringify({ id: "s", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`,
      );
      res.end("data: [DONE]\n\n");
    });
    const res = await fetch(`${server.url}/v1/openai/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...hello, stream: true }),
    });
    const text = await res.text();
    expect(text).toContain("part3");
    expect(text).toContain("[DONE]");
  });
});

describe("a cap on open connections", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ORION_MAX_CONNECTIONS: "3", ORION_SNIFF_TIMEOUT_MS: "5000" });
  });
  afterAll(() => server.close());

  it("closes connections beyond the cap on arrival and counts them", async () => {
    const held = await Promise.all(Array.from({ length: 3 }, () => connect(server.url)));
    await sleep(50);
    const extra = await connect(server.url);
    expect(await readUntilClosed(extra)).toBe("");
    for (const s of held) s.destroy();
    await sleep(50);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^orion_connections_refused_total 1$/m);
  });
});
