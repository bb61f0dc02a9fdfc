// The second reference: the bare proxy (baseline-proxy.ts) plus only the per-request work a
// production gateway does whatever its design: an API-key check, a request id, cancellation of
// the upstream call when the client goes, a pooled upstream client, request metrics and one
// access-log line. No agent, sessions, quota or protocol bridge. Orion's figures against this one
// show what Orion's own layers cost; against the bare proxy, what the whole service costs.
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { Counter, Histogram, Registry } from "prom-client";
import { Pool } from "undici";

const upstream = new URL(process.argv[2] ?? "");
// FLOOR_CONNECTIONS: upstream connections (bench:streams gives it one per held stream).
const pool = new Pool(upstream.origin, { connections: Number(process.env.FLOOR_CONNECTIONS ?? 256) });
// Batched asynchronous writes, as Orion's logger does; /dev/null so the bench's output stays clean.
const log = pino(
  { timestamp: pino.stdTimeFunctions.isoTime },
  pino.destination({ dest: "/dev/null", sync: false, minLength: 8192 }),
);
const registry = new Registry();
const requests = new Counter({
  name: "requests_total",
  help: "requests",
  labelNames: ["status"],
  registers: [registry],
});
const seconds = new Histogram({ name: "request_seconds", help: "latency", registers: [registry] });
const keyHash = createHash("sha256").update("sk-bench-unlimited").digest();

const server = http.createServer((req, res) => {
  const started = performance.now();
  const requestId = randomUUID();
  const token = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
  if (!timingSafeEqual(createHash("sha256").update(token).digest(), keyHash)) {
    res.writeHead(401).end();
    return;
  }
  const cancel = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) cancel.abort();
    requests.inc({ status: String(res.statusCode) });
    seconds.observe((performance.now() - started) / 1000);
    log.info({ req_id: requestId, url: req.url, status: res.statusCode, ms: performance.now() - started });
  });
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", async () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    if (!Array.isArray(body.messages)) {
      res.writeHead(422).end();
      return;
    }
    try {
      const reply = await pool.request({
        path: `${upstream.pathname}/chat/completions`,
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": requestId },
        body: JSON.stringify(body),
        signal: cancel.signal,
      });
      res.writeHead(reply.statusCode, {
        "content-type": String(reply.headers["content-type"]),
        "x-request-id": requestId,
      });
      for await (const chunk of reply.body) res.write(chunk);
      res.end();
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
