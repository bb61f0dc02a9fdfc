import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { protocolOf } from "../../src/server/listener.js";
import { FrameType, floodStreams, frame, rawH2 } from "../support/h2-frames.js";
import { probedWhile } from "../support/probe.js";
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

/** Everything the server sends until it closes the connection, and when it closed (ms from now). */
function readUntilClosed(socket: net.Socket): Promise<{ text: string; ms: number }> {
  const started = performance.now();
  let text = "";
  socket.on("data", (d) => {
    text += String(d);
  });
  return new Promise((resolve) => {
    socket.once("close", () => resolve({ text, ms: performance.now() - started }));
    socket.on("error", () => {});
  });
}

/** A close caused by a deadline: not before it, and not much after it (a loaded 2-core machine). */
function expectAtDeadline(ms: number, deadlineMs: number) {
  expect(ms).toBeGreaterThanOrEqual(deadlineMs - 50);
  expect(ms).toBeLessThan(deadlineMs + 3_000);
}

/**
 * Runs `attack` while another thread asks /healthz every 10 ms: every probe must be answered, the
 * slowest within 1.5 s (a stalled event loop shows up here, not as a late probe).
 */
async function servedThroughout<T>(url: string, attack: () => Promise<T>): Promise<T> {
  const { result, probe } = await probedWhile(url, attack);
  expect(probe.failures).toBe(0);
  expect(probe.count).toBeGreaterThan(0);
  expect(probe.worstMs).toBeLessThan(1_500);
  return result;
}

/** /metrics on a connection closed after it, so it leaves no socket to count. */
async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`, { headers: { connection: "close" } })).text();
}

const closedCount = (metrics: string, reason: string) =>
  Number(
    new RegExp(`^orion_connections_closed_total\\{reason="${reason}"\\} (\\d+)$`, "m").exec(metrics)?.[1] ??
      0,
  );

/** Polls `count` until `done` says so, for up to `withinMs`; resolves to the last count. */
async function pollCount(
  count: () => Promise<number>,
  done: (n: number) => boolean,
  withinMs: number,
): Promise<number> {
  const until = performance.now() + withinMs;
  let last = await count();
  while (!done(last) && performance.now() < until) {
    await sleep(50);
    last = await count();
  }
  return last;
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
    await servedThroughout(server.url, () => sleep(300));
    socket.write(request.slice(1));
    const { text } = await answer;
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
    const { text, ms } = await servedThroughout(server.url, () => closed);
    expect(text).toBe("");
    expectAtDeadline(ms, Number(SHORT.ORION_SNIFF_TIMEOUT_MS));
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
      const closes = await servedThroughout(server.url, () => Promise.all(outcomes));
      // Silent ones never chose a protocol; trickling ones ran out of header time.
      for (const { text, ms } of closes.slice(0, 3)) {
        expect(text).toBe("");
        expectAtDeadline(ms, Number(SHORT.ORION_SNIFF_TIMEOUT_MS));
      }
      for (const { text, ms } of closes.slice(3)) {
        expect(text).toMatch(/^HTTP\/1\.1 408/);
        expectAtDeadline(ms, Number(SHORT.ORION_HEADERS_TIMEOUT_MS));
      }
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
      const { text, ms } = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 408/);
      expectAtDeadline(ms, Number(SHORT.ORION_REQUEST_TIMEOUT_MS));
    } finally {
      clearInterval(drip);
    }
  });

  it("closes an idle keep-alive connection", async () => {
    const socket = await connect(server.url);
    const answer = readUntilClosed(socket);
    const answered = new Promise((resolve) => socket.once("data", () => resolve(performance.now())));
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const { text } = await answer;
    const idleMs = performance.now() - ((await answered) as number);
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toMatch(/keep-alive: timeout=0?\d/i);
    expectAtDeadline(idleMs, Number(SHORT.ORION_IDLE_TIMEOUT_MS));
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
    const started = performance.now();
    const code = await new Promise<number>((resolve) => upload.once("close", () => resolve(upload.rstCode)));
    expect(code).toBe(http2.constants.NGHTTP2_CANCEL);
    expectAtDeadline(performance.now() - started, Number(SHORT.ORION_REQUEST_TIMEOUT_MS));
    const reset = performance.now();
    await new Promise((resolve) => session.once("close", resolve));
    expect(session.closed || session.destroyed).toBe(true);
    expectAtDeadline(performance.now() - reset, Number(SHORT.ORION_IDLE_TIMEOUT_MS));
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

  it("counted each connection it ended above by its reason", async () => {
    const metrics = await metricsText(server.url);
    // Silent slowloris and the partial preface; trickling slowloris; the unfinished body; the idle
    // keep-alive and the idle h2c session.
    expect(closedCount(metrics, "sniff_timeout")).toBeGreaterThanOrEqual(4);
    expect(closedCount(metrics, "headers_timeout")).toBeGreaterThanOrEqual(3);
    expect(closedCount(metrics, "request_timeout")).toBeGreaterThanOrEqual(1);
    expect(closedCount(metrics, "idle")).toBeGreaterThanOrEqual(2);
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
    expect((await readUntilClosed(extra)).text).toBe("");
    for (const s of held) s.destroy();
    await sleep(50);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^orion_connections_refused_total 1$/m);
  });
});

describe("connections the server has ended, and HTTP/2 stream limits", () => {
  const ENDED = {
    ORION_HEADERS_TIMEOUT_MS: "500",
    ORION_REQUEST_TIMEOUT_MS: "800",
    // Long, so only the deadlines under test can end these connections.
    ORION_IDLE_TIMEOUT_MS: "20000",
    ORION_CLOSE_GRACE_MS: "500",
    ORION_H2_MAX_CONCURRENT_STREAMS: "20",
  };
  /** The headers deadline, the grace, and a few seconds for a loaded machine. */
  const GONE_WITHIN_MS = 500 + 500 + 3_000;
  let server: TestServer;
  const open = () => server.app.openConnections();
  beforeAll(async () => {
    server = await startServer(ENDED);
  });
  afterAll(() => server.close());

  /**
   * Keeps `sockets` sending through `drip` every 200 ms while they never read: the server holds
   * them all at first, and must be rid of them within GONE_WITHIN_MS.
   */
  async function expectGoneThoughSending(before: number, sockets: net.Socket[], drip: () => void) {
    for (const s of sockets) {
      s.pause();
      s.on("error", () => {});
    }
    const timer = setInterval(drip, 200);
    try {
      const held = before + sockets.length;
      expect(await pollCount(open, (n) => n >= held, 1_000)).toBeGreaterThanOrEqual(held);
      expect(await pollCount(open, (n) => n <= before, GONE_WITHIN_MS)).toBeLessThanOrEqual(before);
    } finally {
      clearInterval(timer);
      for (const s of sockets) s.destroy();
      // Whatever happened, the next test starts from the same count.
      await pollCount(open, (n) => n <= before, 1_000);
    }
  }

  it("destroys the sockets of clients that never read and keep sending after their 408 or 400", async () => {
    const metricsBefore = await metricsText(server.url);
    const before = await open();
    const slow = await Promise.all(Array.from({ length: 4 }, () => connect(server.url)));
    const bad = await Promise.all(Array.from({ length: 2 }, () => connect(server.url)));
    for (const s of slow) s.write("POST /v1/openai/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    for (const s of bad) s.write("GET /healthz HTTP/1.1\r\nHost: x\r\nnot a header\r\n");
    const all = [...slow, ...bad];
    await expectGoneThoughSending(before, all, () => {
      for (const s of all) if (!s.destroyed) s.write("a");
    });
    const metrics = await metricsText(server.url);
    expect(closedCount(metrics, "headers_timeout") - closedCount(metricsBefore, "headers_timeout")).toBe(4);
    expect(closedCount(metrics, "bad_request") - closedCount(metricsBefore, "bad_request")).toBe(2);
    expect(metrics).toMatch(/^orion_connections_open \d+$/m);
  });

  it("ends an h2c connection whose header block never completes, though the client never reads", async () => {
    const before = await open();
    const socket = await rawH2(server.url);
    // A HEADERS frame announcing a 900-byte header value, whose bytes then arrive one at a time.
    const head = Buffer.concat([
      Buffer.from([0x83, 0x86, 0x01, 0x01, 0x78, 0x04, 0x01, 0x2f]), // POST http x /
      Buffer.from([0x00, 0x01, 0x61, 0x7f, 0x85, 0x06]), // a literal "a" of 900 bytes
    ]);
    const whole = frame(FrameType.headers, 0x4, 1, Buffer.concat([head, Buffer.alloc(900, 0x61)]));
    socket.write(whole.subarray(0, 9 + head.length));
    let sent = 9 + head.length;
    await expectGoneThoughSending(before, [socket], () => {
      if (!socket.destroyed && sent < whole.length) socket.write(whole.subarray(sent, ++sent));
    });
  });

  it("ends an h2c connection it refused for a protocol error, though the client never reads", async () => {
    const before = await open();
    const socket = await rawH2(server.url);
    // A frame header announcing a frame far past the maximum size: nghttp2 answers with GOAWAY
    // and stops reading, and Node leaves the session open.
    socket.write(Buffer.from([0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]));
    await expectGoneThoughSending(before, [socket], () => !socket.destroyed && socket.write("x"));
  });

  it("advertises its stream limit and refuses streams beyond it (node:http2 client)", async () => {
    // The client assumes a high limit until the server's SETTINGS arrive, so all 30 leave at once.
    const session = http2.connect(server.url, { peerMaxConcurrentStreams: 1_000 });
    session.on("error", () => {});
    const closes = Array.from({ length: 30 }, () => {
      const stream = session.request(
        { ":method": "POST", ":path": "/v1/openai/chat/completions", "content-type": "application/json" },
        { endStream: false },
      );
      stream.on("error", () => {});
      return new Promise<number>((resolve) => stream.once("close", () => resolve(stream.rstCode)));
    });
    const codes = await Promise.all(closes);
    expect(session.remoteSettings.maxConcurrentStreams).toBe(20);
    expect(codes.filter((c) => c === http2.constants.NGHTTP2_REFUSED_STREAM)).toHaveLength(10);
    session.destroy();
  });

  it("stays responsive and small under a flood of 4 × 10,000 streams", async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const floods = await servedThroughout(server.url, () =>
        Promise.all(Array.from({ length: 4 }, () => floodStreams(server.url, 10_000, 20, 3_000))),
      );
      for (const { refused } of floods) expect(refused).toBeGreaterThan(0);
    } finally {
      clearInterval(sampler);
    }
    // This process holds the server and the clients; refused streams cost next to nothing.
    expect((peak - before) / 2 ** 20).toBeLessThan(80);
  });
});
