// Abuse bench: runs each attack the README's "Hostile input" section guards against, against the built server (dist/) in its own
// process, while a probe on another connection asks /healthz every 10 ms. Prints, per attack, the
// worst probe latency, the answer the attacker got, and the server's RSS before and after. An
// attack that needs short deadlines gets a server of its own, started with them.
//   npm run build && npm run bench:abuse
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { createInterface } from "node:readline";
import { floodStreams } from "../test/support/h2-frames.js";
import { startProbe } from "../test/support/probe.js";
import { stalledStream } from "../test/support/stalled-stream.js";
import { uploadWithContentLength } from "../test/support/uploads.js";
import { lyingZip } from "../test/support/zips.js";
import { rssMiB } from "./support.js";

const children: ChildProcess[] = [];
const BENCH_KEY = "sk-abuse-bench-0001";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function drainedOrClosed(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done).off("close", done);
      resolve();
    };
    res.on("drain", done).on("close", done);
  });
}

/** A streamed answer of 40 MiB, sent as fast as the reader takes it: what a slow reader must hold back. */
async function floodStream(res: http.ServerResponse) {
  res.writeHead(200, { "content-type": "text/event-stream" });
  const piece = `data: ${JSON.stringify({ id: "e", object: "chat.completion.chunk", created: 1, model: "echo", choices: [{ index: 0, delta: { content: "x".repeat(1_000) }, finish_reason: null }] })}\n\n`;
  for (let sent = 0; sent < 40 * 1024 * 1024 && !res.destroyed; sent += piece.length) {
    if (!res.write(piece)) await drainedOrClosed(res);
  }
  if (!res.destroyed) res.end("data: [DONE]\n\n");
}

/**
 * An OpenAI-protocol upstream that answers with the user's last message, so answers are chosen;
 * asked to stream, it floods instead.
 */
async function echoUpstream(): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        messages: { content: string }[];
        stream?: boolean;
      };
      if (body.stream) return void floodStream(res);
      const content = String(body.messages.at(-1)?.content ?? "");
      const text = JSON.stringify({
        id: "e",
        object: "chat.completion",
        created: 1,
        model: "echo",
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
      res.writeHead(200, { "content-type": "application/json" }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

function startServer(env: Record<string, string>): Promise<{ url: string; pid: number }> {
  const child = spawn(process.execPath, ["dist/src/main.js"], {
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const url = /"url":"([^"]+)"/.exec(line)?.[1];
      if (url) resolve({ url, pid: child.pid ?? 0 });
    });
  });
}

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/v1/openai/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await res.text();
  return `${res.status} ${/"(?:code)":"([a-z_]+)"/.exec(text)?.[1] ?? ""}`.trim();
}

/** Built once, before any probe runs: deflating the bomb takes the bench process seconds. */
const bomb = lyingZip("SKILL.md", 900 * 1024 * 1024, 100).toString("base64");

const withSchema = (schema: unknown, content = "hi") =>
  JSON.stringify({
    messages: [{ role: "user", content }],
    response_format: { type: "json_schema", json_schema: { name: "x", schema } },
  });

function wideSchema(n: number, salt: number) {
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) properties[`p${salt}_${i}`] = { type: "string", description: "x".repeat(20) };
  return { type: "object", properties };
}

function rawConnection(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => resolve(socket));
    socket.on("error", () => {});
  });
}

/** The server's orion_connections_open, read on a connection that closes after it. */
async function openOnServer(url: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { headers: { connection: "close" } });
  return Number(/^orion_connections_open (\d+)$/m.exec(await res.text())?.[1] ?? Number.NaN);
}

/** Deadlines of the server the non-reading clients meet: short, so the bench stays short. */
const SHORT_DEADLINES = { ORION_HEADERS_TIMEOUT_MS: "1000", ORION_CLOSE_GRACE_MS: "1000" };

type Attack = [name: string, run: (url: string) => Promise<string>, env?: Record<string, string>];

const attacks: Attack[] = [
  [
    "lone 'P' then silence (5 connections)",
    async (url) => {
      const sockets = await Promise.all(Array.from({ length: 5 }, () => rawConnection(url)));
      for (const s of sockets) s.write("P");
      await sleep(1_500);
      for (const s of sockets) s.destroy();
      return "held 1.5 s";
    },
  ],
  [
    "slowloris: 200 trickling + 200 silent connections",
    async (url) => {
      const sockets = await Promise.all(Array.from({ length: 400 }, () => rawConnection(url)));
      const header = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
      for (let i = 0; i < 30; i++) {
        for (const s of sockets.slice(0, 200)) s.write(header[i % header.length] as string);
        await sleep(50);
      }
      const open = sockets.filter((s) => !s.destroyed).length;
      for (const s of sockets) s.destroy();
      return `${open} of 400 still open after 1.5 s (sniff/headers deadlines: 5 s / 30 s)`;
    },
  ],
  [
    "h2 stream flood: 4 connections × 20,000 POST streams without a body",
    async (url) => {
      const floods = await Promise.all(Array.from({ length: 4 }, () => floodStreams(url, 20_000, 100)));
      const refused = floods.reduce((sum, f) => sum + f.refused, 0);
      const goaways = floods.filter((f) => f.goaway).length;
      return `${refused} streams refused (REFUSED_STREAM, limit 100 per connection), ${goaways} of 4 sent GOAWAY`;
    },
  ],
  [
    "non-reading clients after 408: 100 connections sending a byte every 200 ms",
    async (url) => {
      const before = await openOnServer(url);
      const sockets = await Promise.all(Array.from({ length: 100 }, () => rawConnection(url)));
      for (const s of sockets) {
        s.pause();
        s.write("POST /v1/openai/chat/completions HTTP/1.1\r\nHost: x\r\n");
      }
      const counts = [];
      for (let i = 0; i < 15; i++) {
        for (const s of sockets) if (!s.destroyed) s.write("a");
        await sleep(200);
        if (i === 0 || i === 14) counts.push(await openOnServer(url));
      }
      for (const s of sockets) s.destroy();
      return `open on the server: ${before} before, ${counts[0]} at 0.2 s, ${counts[1]} at 3 s (headers deadline 1 s + close grace 1 s)`;
    },
    SHORT_DEADLINES,
  ],
  [
    "7 schemas of 20,000 properties (1.1 MB each)",
    async (url) => {
      const answers = [];
      for (let i = 0; i < 7; i++) answers.push(await post(url, withSchema(wideSchema(20_000, i))));
      return answers.join(", ");
    },
  ],
  [
    "pattern ^(a+)+$ against a 30-character answer",
    (url) =>
      post(url, withSchema({ type: "string", pattern: "^(a+)+$" }, JSON.stringify(`${"a".repeat(30)}b`))),
  ],
  [
    "uniqueItems over a 20,000-item answer",
    (url) =>
      post(
        url,
        withSchema(
          { type: "array", items: { type: "object" }, uniqueItems: true },
          JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ i }))),
        ),
      ),
  ],
  [
    "skill zip declaring 100 bytes, inflating to 900 MiB",
    (url) =>
      post(
        url,
        JSON.stringify({
          messages: [{ role: "user", content: "hi" }],
          skills: [
            {
              type: "inline",
              name: "bomb",
              description: "d",
              source: {
                type: "base64",
                media_type: "application/zip",
                data: bomb,
              },
            },
          ],
        }),
      ),
  ],
  [
    "schema 5,000 levels deep",
    (url) =>
      post(
        url,
        `{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${'{"type":"object","properties":{"a":'.repeat(5_000)}{}${"}}".repeat(5_000)}}}}`,
      ),
  ],
  ["schema {$ref: '#'}", (url) => post(url, withSchema({ $ref: "#" }))],
  [
    "data:image/png,%E0%A4%A",
    (url) =>
      post(
        url,
        JSON.stringify({
          messages: [
            { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png,%E0%A4%A" } }] },
          ],
          toolsets: ["core"],
        }),
      ),
  ],
  [
    "guests: 20 × a 31 MB text message",
    async (url) => {
      const huge = JSON.stringify({
        messages: [{ role: "user", content: `hello ${"x".repeat(31_000_000)}` }],
      });
      const answers = new Map<string, number>();
      for (let i = 0; i < 20; i++) {
        const answer = await post(url, huge, { "x-browser-id": `oom${i}` });
        answers.set(answer, (answers.get(answer) ?? 0) + 1);
      }
      return [...answers].map(([answer, n]) => `${n}× ${answer}`).join(", ");
    },
  ],
  [
    "an API key: 120 × a 3.9 MB text, each in a new session (470 MB)",
    async (url) => {
      const body = (i: number) =>
        JSON.stringify({
          messages: [{ role: "user", content: "z".repeat(3_900_000) }],
          session_id: `big${i}`,
        });
      const answers = new Map<string, number>();
      for (let i = 0; i < 120; i++) {
        const answer = await post(url, body(i), { authorization: `Bearer ${BENCH_KEY}` });
        answers.set(answer, (answers.get(answer) ?? 0) + 1);
      }
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const stored = Number(/^orion_embedded_store_bytes\{kind="sessions"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
      return `${[...answers].map(([answer, n]) => `${n}× ${answer}`).join(", ")}; sessions hold ${(stored / 2 ** 20).toFixed(0)} MiB`;
    },
  ],
  [
    "20 streams whose clients never read, upstream offering 40 MiB each",
    async (url) => {
      const sockets = Array.from({ length: 20 }, () => stalledStream(url, "everything"));
      await sleep(9_000);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const cut = /^orion_streams_stalled_total (\d+)/m.exec(metrics)?.[1] ?? "?";
      for (const s of sockets) s.destroy();
      return `held 9 s; ${cut} of 20 cut at the 5 s stall deadline`;
    },
  ],
  [
    "40 MiB body with Content-Length",
    (url) =>
      uploadWithContentLength(url, 40 * 1024 * 1024).then(
        (status) => String(status),
        (error: NodeJS.ErrnoException) => `client error ${error.code}`,
      ),
  ],
];

async function main() {
  const upstream = await echoUpstream();
  const env = {
    ORION_LLM_BASE_URL: upstream,
    ORION_LLM_MODEL: "echo",
    ORION_API_KEYS: `${BENCH_KEY}=bench:enterprise`,
    ORION_STREAM_STALL_TIMEOUT_MS: "5000",
    ORION_GUEST_DAILY_LIMIT: "1000000",
    ORION_LOG_LEVEL: "info",
  };
  const server = await startServer(env);
  // Warm the schema worker, so its start-up is not counted against the first attack.
  await post(server.url, withSchema({ type: "string" }, '"ok"'));
  const startRss = rssMiB(server.pid);
  console.log(`server RSS at start: ${startRss.toFixed(0)} MiB; probe: GET /healthz every 10 ms\n`);
  console.log("| attack | attacker got | worst probe (ms) | failed probes | RSS before → after (MiB) |");
  console.log("|---|---|---|---|---|");
  for (const [name, attack, ownEnv] of attacks) {
    const target = ownEnv ? await startServer({ ...env, ...ownEnv }) : server;
    const before = rssMiB(target.pid);
    const stop = startProbe(target.url);
    await sleep(50);
    const answer = await attack(target.url);
    await sleep(200);
    const { worstMs: worst, failures } = await stop();
    await sleep(500);
    const after = rssMiB(target.pid);
    console.log(
      `| ${name} | ${answer} | ${worst.toFixed(1)} | ${failures} | ${before.toFixed(0)} → ${after.toFixed(0)} |`,
    );
    if (target !== server) process.kill(target.pid, "SIGKILL");
  }
  const end = rssMiB(server.pid);
  // V8 gives heap pages back once the process is idle (its memory reducer), and the schema
  // worker ends after 60 s without checks: RSS is read again after each.
  await sleep(15_000);
  const idle = rssMiB(server.pid);
  await sleep(50_000);
  const later = rssMiB(server.pid);
  const pct = (v: number) => `${v >= startRss ? "+" : ""}${(((v - startRss) / startRss) * 100).toFixed(0)} %`;
  console.log(
    `\nserver RSS: start ${startRss.toFixed(0)} MiB, right after the attacks ${end.toFixed(0)} MiB (${pct(end)}), ` +
      `after 15 s idle ${idle.toFixed(0)} MiB (${pct(idle)}), after 65 s idle ${later.toFixed(0)} MiB (${pct(later)})`,
  );
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill("SIGKILL");
  });
