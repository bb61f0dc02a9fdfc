import { execFile, spawn } from "node:child_process";
import net from "node:net";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const run = promisify(execFile);

/** Runs the server's entry point with these settings (and nothing else from this environment). */
function startMain(env: Record<string, string>) {
  return run(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ORION_PLAYGROUND: "off", ...env },
    timeout: 30_000,
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

/** Starts the entry point on a free port and resolves with its "listening" log line. */
async function listening(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (data: Buffer) => {
      out += data;
      for (const text of out.split("\n")) if (text.includes('"listening"')) resolve(JSON.parse(text));
    });
    child.once("exit", () => reject(new Error(`exited before listening: ${out}`)));
  });
  return { line, url: line.url as string, stop: () => child.kill("SIGTERM") };
}

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
