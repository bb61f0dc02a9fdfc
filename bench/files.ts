// Files API upload benchmark: throughput (MB/s) and server RSS (before, peak, after) for one
// BENCH_FILE_MB (default 150) MiB file, direct multipart vs presigned PUT, on the durable embedded
// store and on a private Redis. Each server first takes a 20 MiB upload, so the figures are what
// the large file costs, not the path's first use.
//   npm run bench:files
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRedis } from "../test/support/redis.js";
import { children, rssMiB, startServer } from "./support.js";

const MB = Number(process.env.BENCH_FILE_MB ?? 150);
const KEY = "sk-bench-files-0001";
const auth = { authorization: `Bearer ${KEY}` };

/** `mb` MiB made one MiB at a time as it is sent (each MiB distinct, so nothing is deduplicated). */
function bytes(mb: number, seed: number, prefix = "", suffix = ""): ReadableStream<Uint8Array> {
  let sent = -1;
  return new ReadableStream({
    pull(controller) {
      if (sent === -1 && prefix) controller.enqueue(new TextEncoder().encode(prefix));
      if (sent === -1) sent = 0;
      if (sent === mb) {
        if (suffix) controller.enqueue(new TextEncoder().encode(suffix));
        return controller.close();
      }
      const chunk = new Uint8Array(1024 * 1024).fill((seed + sent) % 251);
      chunk[0] = seed;
      controller.enqueue(chunk);
      sent++;
    },
  });
}

async function direct(url: string, mb: number, seed: number): Promise<Response> {
  const prefix = `--bench\r\ncontent-disposition: form-data; name="file"; filename="bench-${seed}.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`;
  return fetch(`${url}/v1/files`, {
    method: "POST",
    headers: { ...auth, "content-type": "multipart/form-data; boundary=bench" },
    body: bytes(mb, seed, prefix, "\r\n--bench--\r\n"),
    duplex: "half",
  } as RequestInit);
}

async function presigned(url: string, mb: number, seed: number): Promise<Response> {
  const signed = (await (
    await fetch(`${url}/v1/files/presigned-url`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ filename: `bench-${seed}.bin` }),
    })
  ).json()) as { url: string };
  return fetch(signed.url, { method: "PUT", body: bytes(mb, seed), duplex: "half" } as RequestInit);
}

async function measure(
  server: { url: string; pid: number },
  path: typeof direct,
  seed: number,
): Promise<string> {
  const warm = await path(server.url, 20, seed + 100);
  if (!warm.ok) throw new Error(`warm-up upload: ${warm.status} ${await warm.text()}`);
  const before = rssMiB(server.pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(server.pid));
  }, 50);
  const started = performance.now();
  const res = await path(server.url, MB, seed);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (!res.ok) throw new Error(`upload: ${res.status} ${await res.text()}`);
  const after = rssMiB(server.pid);
  return `${(MB / seconds).toFixed(1).padStart(6)} MB/s   RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} → ${after.toFixed(0)} MiB`;
}

async function main() {
  const redis = await startRedis();
  const common = {
    ORION_API_KEYS: `${KEY}=bench`,
    ORION_PLAYGROUND: "off",
    ORION_LOG_LEVEL: "warn",
    ORION_FILES_MAX_BYTES_PER_OWNER: String(16 * 1024 * 1024 * 1024),
    REDIS_URL: "",
  };
  const stores: [string, Record<string, string>][] = [
    ["embedded (SQLite)", { ORION_DATA_DIR: mkdtempSync(join(tmpdir(), "orion-bench-files-")) }],
    ["Redis", { REDIS_URL: redis.url, ORION_REDIS_PREFIX: "bench-files:" }],
  ];
  console.log(
    `Files API: one ${MB} MiB upload per row (after a 20 MiB warm-up), server RSS sampled every 50 ms`,
  );
  let seed = 1;
  for (const [name, env] of stores) {
    for (const [label, path] of [
      ["direct multipart", direct],
      ["presigned PUT", presigned],
    ] as const) {
      // A fresh server per row, so one row's heap does not colour the next.
      const server = await startServer("dist/src/main.js", { ...common, ...env });
      console.log(`${name.padEnd(18)} ${label.padEnd(17)} ${await measure(server, path, seed++)}`);
      const child = children.find((c) => c.pid === server.pid);
      child?.kill("SIGTERM");
      await new Promise((r) => child?.once("exit", r));
    }
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill("SIGKILL");
  });
