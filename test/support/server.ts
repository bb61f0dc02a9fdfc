import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/observability/logger.js";
import { type App, type BuildOptions, build } from "../../src/server/app.js";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream.js";

export interface TestServer {
  url: string;
  app: App;
  upstream: FakeUpstream;
  /** Every JSON log line the server wrote. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A data directory of its own for the durable embedded store, so tests never share state. */
export function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), "orion-test-data-"));
}

/** A key prefix of its own, so tests sharing a Redis never see each other's state. */
export function uniquePrefix(): string {
  return `test-${process.pid}-${Math.random().toString(36).slice(2)}:`;
}

/** A real server on 127.0.0.1:0 in front of a scripted OpenAI-protocol upstream. */
export async function startServer(
  env: Record<string, string> = {},
  options: BuildOptions = {},
): Promise<TestServer> {
  const upstream = await startFakeUpstream();
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const dataDir = freshDataDir();
  const config = loadConfig({
    PORT: "0",
    ORION_DATA_DIR: dataDir,
    ORION_LLM_BASE_URL: upstream.url,
    ORION_LLM_MODEL: "fake-model",
    ORION_LLM_API_KEY: "sk-upstream",
    // Suites about other behaviour must not run into the guest quota; quota tests set their own.
    ORION_GUEST_DAILY_LIMIT: "1000000",
    ...env,
  });
  const app = build(config, { logger: createLogger("info", sink), ...options });
  const url = await app.listen();
  return {
    url,
    app,
    upstream,
    logs,
    async close() {
      await app.shutdown(0);
      await upstream.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postChat(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/v1/openai/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** The `data:` payloads of an SSE body, in order. */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((event) => event.startsWith("data: "))
    .map((event) => event.slice("data: ".length));
}

export const hello = { messages: [{ role: "user", content: "Say hello" }] };

/**
 * A real server on port 0 with only what `env` sets: no upstream model unless named (so the local
 * planner answers) and the embedded store. `dir` is the working directory (for vlmrun.yaml).
 */
export async function startBareServer(env: Record<string, string> = {}, dir?: string) {
  const app = build(loadConfig({ PORT: "0", ORION_DATA_DIR: freshDataDir(), ...env }, dir), {
    logger: createLogger("silent"),
  });
  const url = await app.listen();
  return { app, url };
}
