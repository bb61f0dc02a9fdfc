import { execFile, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startRedis } from "../support/redis.js";
import { freshDataDir, uniquePrefix } from "../support/server.js";
import { spawnServer } from "../support/server-process.js";
import { yamlAliasBomb } from "../support/yaml-bomb.js";

const run = promisify(execFile);

const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const MAIN = resolve("src/main.ts");

/** Runs the server's entry point with these settings (and nothing else from this environment), in `cwd`. */
function startMain(env: Record<string, string>, cwd?: string) {
  return run(process.execPath, ["--import", TSX, MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ORION_PLAYGROUND: "off",
      ORION_DATA_DIR: freshDataDir(),
      ...env,
    },
    timeout: 30_000,
    cwd,
  }).catch((e: { code: number; stderr: string; stdout: string }) => e);
}

describe("every bad setting stops the server with one line naming the variable", () => {
  it.each([
    [{ ORION_LOG_LEVEL: "loud" }, "ORION_LOG_LEVEL"],
    [{ HOST: "999.1.1.1" }, "HOST"],
    [{ HOST: "bad host name" }, "HOST"],
    [{ REDIS_URL: "notaurl" }, "REDIS_URL"],
    [{ REDIS_URL: "http://127.0.0.1:6379" }, "REDIS_URL"],
    [{ REDIS_CLUSTER_NODES: "127.0.0.1:7000,nonsense" }, "REDIS_CLUSTER_NODES"],
  ])("%j", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${name} must`));
  });

  it("accepts what is valid", () => {
    expect(
      loadConfig({ HOST: "::1", ORION_LOG_LEVEL: "debug", REDIS_URL: "rediss://cache.internal:6380/2" }),
    ).toMatchObject({
      host: "::1",
      logLevel: "debug",
      store: { redisUrl: "rediss://cache.internal:6380/2" },
    });
    expect(
      loadConfig({ HOST: "0.0.0.0", REDIS_CLUSTER_NODES: "a:7000, [::1]:7001" }).store.clusterNodes,
    ).toEqual(["a:7000", "[::1]:7001"]);
  });

  it("the process prints exactly one line and exits 2, no stack trace", async () => {
    const bad = (await startMain({ ORION_LOG_LEVEL: "loud" })) as { code: number; stderr: string };
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toEqual([
      'orion-server: configuration error: ORION_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ]);
  });

  it("a vlmrun.yaml alias bomb is one line naming the file and the cause", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orion-bomb-"));
    writeFileSync(join(dir, "vlmrun.yaml"), yamlAliasBomb());
    const bad = (await startMain({ PORT: "0" }, dir)) as { code: number; stderr: string };
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toEqual([
      `orion-server: configuration error: ${join(dir, "vlmrun.yaml")}: its aliases expand past the limit of 100 (refused as a YAML alias bomb)`,
    ]);
  });

  it("a port already taken is one line too", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const taken = (await startMain({ PORT: String(port) })) as { code: number; stderr: string };
      expect(taken.code).toBe(2);
      expect(taken.stderr.trim().split("\n")).toEqual([
        `orion-server: cannot listen on 127.0.0.1:${port} (HOST, PORT): EADDRINUSE`,
      ]);
    } finally {
      blocker.close();
    }
  });
});

const listening = (env: Record<string, string>) => spawnServer(env);

describe("the start-up line", () => {
  it("says where to go and which backend serves each variant", async () => {
    const server = await listening({});
    try {
      expect(server.line).toMatchObject({
        playground: `${server.url}/`,
        docs: `${server.url}/docs`,
        backends: { lite: "local", fast: "local", auto: "local", pro: "local" },
      });
    } finally {
      server.stop();
    }
  });
});

describe("binaries are probed once at start", () => {
  it("lists the video tools as unavailable, with the setting to fix, when ffmpeg does not run", async () => {
    const server = await listening({ ORION_FFMPEG: "/nonexistent/ffmpeg" });
    try {
      const tools = (await (await fetch(`${server.url}/v1/tools`)).json()) as {
        data: { name: string; available: boolean; unavailable_reason?: string }[];
      };
      const video = tools.data.filter((t) =>
        ["video_probe", "sample_frames", "scene_cuts", "trim"].includes(t.name),
      );
      expect(video).toHaveLength(4);
      for (const tool of video) {
        expect(tool.available).toBe(false);
        expect(tool.unavailable_reason).toContain("ORION_FFMPEG");
      }
      expect(tools.data.find((t) => t.name === "crop")?.available).toBe(true);
    } finally {
      server.stop();
    }
  });
});

describe("ORION_WORKERS: several server processes on one port", () => {
  it("refuses more than one worker on the in-process store, saying why", () => {
    expect(() => loadConfig({ ORION_WORKERS: "2", ORION_DATA_DIR: ":memory:" })).toThrow(
      /^ORION_WORKERS=2 needs a store the processes share: ORION_DATA_DIR=:memory:/,
    );
    expect(loadConfig({ ORION_WORKERS: "2" }).workers).toBe(2);
    expect(loadConfig({ ORION_WORKERS: "2", REDIS_URL: "redis://127.0.0.1:6379" }).workers).toBe(2);
  });

  it("serves from every worker, keeps the guest quota exact across them, and stops on SIGTERM", async () => {
    const redis = await startRedis();
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        PORT: "0",
        ORION_WORKERS: "2",
        REDIS_URL: redis.url,
        ORION_REDIS_PREFIX: uniquePrefix(),
        ORION_GUEST_DAILY_LIMIT: "3",
        ORION_PLAYGROUND: "off",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (data: Buffer) => (out += data));
    const lines = () =>
      out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    try {
      // One "listening" line, printed by the supervisor once both workers listen.
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", () => {
          const listening = lines().find((l) => l.msg === "listening");
          if (listening) resolve(listening.url as string);
        });
        child.once("exit", () => reject(new Error(`exited: ${out}`)));
      });
      // A new connection per request: the cluster hands connections to the workers in turn.
      const once = (
        path: string,
        init: { method?: string; body?: string; headers?: Record<string, string> } = {},
      ) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const target = new URL(path, url);
          const req = http.request(
            {
              hostname: target.hostname,
              port: target.port,
              path: target.pathname,
              method: init.method ?? "GET",
              agent: false,
              headers: init.headers,
            },
            (res) => {
              let text = "";
              res.on("data", (d: Buffer) => (text += d));
              res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
            },
          );
          req.on("error", reject);
          req.end(init.body);
        });
      // Each process counts only the scrapes it served: one process would reach 7 after 8 scrapes.
      const counts: number[] = [];
      for (let i = 0; i < 8; i++) {
        const metrics = await once("/metrics");
        counts.push(
          Number(
            /^orion_requests_total\{surface="http",method="metrics",status="200"\} (\d+)/m.exec(
              metrics.body,
            )?.[1] ?? 0,
          ),
        );
      }
      expect(Math.max(...counts)).toBeLessThan(7);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const reply = await once("/v1/openai/chat/completions", {
          method: "POST",
          headers: { "content-type": "application/json", "x-browser-id": "workers-guest" },
          body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
        });
        statuses.push(reply.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      const listening = lines().filter((l) => l.msg === "listening");
      expect(listening).toHaveLength(1);
      expect(listening[0]).toMatchObject({
        workers: 2,
        docs: `${url}/docs`,
        backends: { auto: expect.any(String) },
      });
      // The supervisor's lines order their fields as the workers' (pino's) do.
      const supervisor = lines().filter((l) => l.msg === "supervising workers" || l.msg === "listening");
      expect(supervisor).toHaveLength(2);
      for (const line of lines().filter((l) => "msg" in l)) {
        const keys = Object.keys(line);
        expect([keys.slice(0, 3), keys.at(-1)]).toEqual([["level", "time", "service"], "msg"]);
      }
    } finally {
      child.kill("SIGKILL");
      await redis.stop();
    }
  }, 60_000);
});
