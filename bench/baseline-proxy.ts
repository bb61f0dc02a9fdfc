// The baseline: a bare keep-alive Node proxy doing the least a gateway must (parse, check, forward, relay).
import http from "node:http";
import type { AddressInfo } from "node:net";

const upstream = new URL(process.argv[2] ?? "");
// BASELINE_MAX_SOCKETS: upstream connections (bench:streams gives it one per held stream).
const agent = new http.Agent({
  keepAlive: true,
  maxSockets: Number(process.env.BASELINE_MAX_SOCKETS ?? 256),
});

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    if (!Array.isArray(body.messages)) {
      res.writeHead(422).end();
      return;
    }
    const payload = JSON.stringify(body);
    const up = http.request(
      {
        agent,
        hostname: upstream.hostname,
        port: upstream.port,
        path: `${upstream.pathname}/chat/completions`,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => res.writeHead(502).end());
    up.end(payload);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
