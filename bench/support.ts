// What the benches share: child processes that print their URL, RSS of a process, and one POST on
// a keep-alive agent.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { freePort } from "../test/support/redis.js";

/** Every process a bench started; kill them all when it ends. */
export const children: ChildProcess[] = [];

/**
 * Starts `node <args>` and resolves with the URL it prints (a bare URL line, or a log line with
 * `"url"`) and its pid; rejects if it exits first.
 */
export function startProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ url: string; pid: number }> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const url = line.startsWith("http") ? line.trim() : (/"url":"([^"]+)"/.exec(line)?.[1] ?? "");
      if (url) resolve({ url, pid: child.pid ?? 0 });
    });
  });
}

/**
 * Starts an Orion server build on a free port and resolves once `/readyz` answers 200: unlike
 * `startProcess` it does not need the "listening" log line, so it works at any ORION_LOG_LEVEL.
 */
export async function startServer(
  entry: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  return startPolled(port, [...nodeArgs, entry], { env: { ...env, PORT: String(port) } }, (url) =>
    fetch(`${url}/readyz`).then((r) => r.status === 200),
  );
}

/**
 * Starts `node <args>`, which is to listen on `port`, and resolves once `ready(url)` holds (polled
 * every 100 ms for 30 s; a rejection counts as not ready); rejects if the process exits first.
 * Its stdout is ignored; its stderr too once it is ready, with `quietOnceReady`.
 */
export async function startPolled(
  port: number,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; quietOnceReady?: boolean },
  ready: (url: string) => Promise<boolean>,
): Promise<{ url: string; pid: number }> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "ignore", options.quietOnceReady ? "pipe" : "inherit"],
  });
  children.push(child);
  let quiet = false;
  child.stderr?.on("data", (chunk: Buffer) => {
    if (!quiet) process.stderr.write(chunk);
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${args.join(" ")} exited with ${child.exitCode}`);
    if (await ready(url).catch(() => false)) {
      quiet = options.quietOnceReady === true;
      return { url, pid: child.pid ?? 0 };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${args.join(" ")} was not ready within 30 s`);
}

/** The process and its descendants (a server with ORION_WORKERS > 1 is a supervisor and its workers). */
function processTree(pid: number): number[] {
  const kids = readdirSync(`/proc/${pid}/task`, { withFileTypes: false }).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" ").filter(Boolean).map(Number),
  );
  return [pid, ...kids.flatMap(processTree)];
}

/** Resident memory of a process and its descendants, MiB. */
export function rssMiB(pid: number): number {
  return processTree(pid).reduce(
    (sum, p) =>
      sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0) / 1024,
    0,
  );
}

/** CPU seconds (user + system) a process and its descendants have used so far. */
export function cpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + statCpuSeconds(`/proc/${p}/stat`), 0);
}

/** User + system CPU seconds from a `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat` file. */
export function statCpuSeconds(statFile: string): number {
  const fields = readFileSync(statFile, "utf8").split(") ")[1]?.split(" ") ?? [];
  // utime and stime are fields 14 and 15 of stat: 11 and 12 after the command name; in clock ticks (100 Hz).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A server under load: its chat URL, process and who the requests come as (their headers). */
export interface ServerCase {
  name: string;
  url: string;
  pid: number;
  who: Record<string, string>;
}

/** The benches' chat: a short prompt, plain or streamed with usage. */
export function chatBody(stream: boolean): string {
  return JSON.stringify({
    model: "vlmrun-orion-1:auto",
    messages: [{ role: "user", content: "Say hello" }],
    max_tokens: 16,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

/**
 * POSTs `body` to `url` with autocannon for `seconds` on `connections` connections, and measures
 * the CPU (user + system) the server process `pid` and its children spent per request meanwhile.
 */
export async function loadWithCpu(
  url: string,
  pid: number,
  options: { connections: number; seconds: number; headers: Record<string, string>; body: string },
): Promise<{ result: autocannon.Result; cpuUs: number }> {
  const before = cpuSeconds(pid);
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body: options.body,
  });
  return { result, cpuUs: ((cpuSeconds(pid) - before) * 1e6) / Math.max(1, result.requests.total) };
}

/** Chats on every connection alternately plain and streaming (autocannon's `amount` or `duration`). */
export function mixedChatLoad(
  target: ServerCase,
  options: { connections: number; amount?: number; duration?: number },
): Promise<autocannon.Result> {
  return autocannon({
    url: target.url,
    ...options,
    headers: { "content-type": "application/json", ...target.who },
    requests: [false, true].map((stream) => ({ method: "POST" as const, body: chatBody(stream) })),
  });
}

/** POSTs JSON and resolves with the status and whole body; `onData` sees each chunk as it comes. */
export function postJson(
  agent: http.Agent,
  url: string,
  payload: string,
  headers: Record<string, string>,
  onData?: () => void,
): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        hostname: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          onData?.();
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/**
 * Runs a bench's `main`: an error is printed and fails the run, every child process is stopped,
 * and then the process ends (a private Redis from test/support stops on exit; while it runs, it
 * would keep the bench alive after its last figure).
 */
export function runBench(
  main: () => Promise<void>,
  options: { signal?: NodeJS.Signals; cleanup?: () => void } = {},
): void {
  main()
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(() => {
      options.cleanup?.();
      for (const child of children) child.kill(options.signal);
      setImmediate(() => process.exit());
    });
}
