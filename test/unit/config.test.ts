import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AgentModel, Model, Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { ConfigError, loadConfig, providerEnvStem } from "../../src/config.js";

describe("configuration from the environment", () => {
  it("has safe defaults with nothing set", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      maxBodyBytes: 32 * 1024 * 1024,
      corsOrigins: ["*"],
    });
    expect(config.upstreams.auto).toBeUndefined();
    expect(config.providers.get(Model.META_SAM3)).toEqual({
      url: undefined,
      apiKey: undefined,
      model: undefined,
      timeoutMs: 60_000,
      jobTimeoutMs: 600_000,
      urlSetting: "ORION_MODEL_META_SAM3_URL",
    });
  });

  it("applies per-variant upstream overrides over the shared settings", () => {
    const config = loadConfig({
      ORION_LLM_BASE_URL: "http://llm.local:8000/v1/",
      ORION_LLM_MODEL: "qwen",
      ORION_LLM_MODEL_PRO: "qwen-large",
      ORION_LLM_BASE_URL_LITE: "http://small.local/v1",
    });
    expect(config.upstreams.auto).toEqual({
      baseUrl: "http://llm.local:8000/v1",
      apiKey: undefined,
      model: "qwen",
      tools: true,
      toolsSetting: "ORION_LLM_TOOLS",
    });
    expect(config.upstreams.pro?.model).toBe("qwen-large");
    expect(config.upstreams.lite?.baseUrl).toBe("http://small.local/v1");
  });

  it("rejects bad values naming the variable", () => {
    expect(() => loadConfig({ PORT: "http" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "70000" })).toThrow(/PORT must be an integer from 0 to 65535/);
    expect(() => loadConfig({ ORION_LLM_BASE_URL: "ftp://x" })).toThrow(
      /ORION_LLM_BASE_URL must be an http\(s\) URL/,
    );
    expect(() => loadConfig({ ORION_LLM_BASE_URL: "http://x" })).toThrow(/ORION_LLM_MODEL/);
  });

  it("checks ORION_LLM_TOOLS whether or not an upstream is configured", () => {
    for (const env of [
      { ORION_LLM_TOOLS: "maybe" },
      { ORION_LLM_TOOLS: "maybe", ORION_LLM_BASE_URL: "http://x", ORION_LLM_MODEL: "m" },
    ]) {
      expect(() => loadConfig(env)).toThrow('ORION_LLM_TOOLS must be one of on, off, got "maybe"');
    }
    expect(() => loadConfig({ ORION_LLM_TOOLS_PRO: "nope" })).toThrow(
      'ORION_LLM_TOOLS_PRO must be one of on, off, got "nope"',
    );
    expect(loadConfig({ ORION_LLM_TOOLS: "off" }).upstreams.auto).toBeUndefined();
  });

  it("refuses an ORION_LLM_ variable it does not read, naming the valid variant suffixes", () => {
    const error = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      return "no error";
    };
    const turbo = error({
      ORION_LLM_BASE_URL: "http://x",
      ORION_LLM_MODEL: "m",
      ORION_LLM_MODEL_TURBO: "big",
    });
    expect(turbo).toContain("ORION_LLM_MODEL_TURBO");
    expect(turbo).toContain("LITE, FAST, AUTO, PRO");
    expect(turbo).not.toContain("\n");
    expect(error({ ORION_LLM_TOOLS_auto: "off" })).toContain("ORION_LLM_TOOLS_auto");
    expect(error({ ORION_LLM_BASEURL: "http://x" })).toMatch(
      /^ORION_LLM_BASEURL is not a setting.*ORION_LLM_VISION/,
    );
    // Every variable the README lists is accepted.
    for (const stem of ["ORION_LLM_BASE_URL", "ORION_LLM_MODEL", "ORION_LLM_API_KEY", "ORION_LLM_TOOLS"]) {
      for (const v of ["", "_LITE", "_FAST", "_AUTO", "_PRO"]) {
        const value = stem.endsWith("URL") ? "http://x" : stem.endsWith("TOOLS") ? "on" : "m";
        expect(error({ ORION_LLM_MODEL: "m", [`${stem}${v}`]: value })).toBe("no error");
      }
    }
    expect(
      error({ ORION_LLM_TIMEOUT_MS: "1000", ORION_LLM_MAX_SOCKETS: "2", ORION_LLM_VISION: "false" }),
    ).toBe("no error");
  });

  it("caps guests below signed-in callers, never above them", () => {
    const defaults = loadConfig({});
    expect(defaults.guestCaps).toEqual({ maxBodyBytes: 8 * 1024 * 1024, maxTextBytes: 64 * 1024 });
    expect([defaults.maxBodyBytes, defaults.maxTextBytes]).toEqual([32 * 1024 * 1024, 4 * 1024 * 1024]);
    // A smaller signed-in cap lowers the guests' default with it ...
    expect(loadConfig({ ORION_MAX_BODY_BYTES: "65536" }).guestCaps.maxBodyBytes).toBe(65536);
    // ... and a guest cap set above the signed-in one is a start-up error naming both.
    expect(() => loadConfig({ ORION_MAX_TEXT_BYTES: "2048", ORION_GUEST_MAX_TEXT_BYTES: "4096" })).toThrow(
      "ORION_GUEST_MAX_TEXT_BYTES (4096) must not be above ORION_MAX_TEXT_BYTES (2048)",
    );
  });

  it("reads the h2c stream cap and the close grace, within bounds", () => {
    expect(loadConfig({}).connections).toMatchObject({ h2MaxConcurrentStreams: 100, closeGraceMs: 1_000 });
    const set = loadConfig({ ORION_H2_MAX_CONCURRENT_STREAMS: "20", ORION_CLOSE_GRACE_MS: "0" });
    expect(set.connections).toMatchObject({ h2MaxConcurrentStreams: 20, closeGraceMs: 0 });
    expect(() => loadConfig({ ORION_H2_MAX_CONCURRENT_STREAMS: "0" })).toThrow(
      /ORION_H2_MAX_CONCURRENT_STREAMS must be an integer from 1 to 10000/,
    );
    expect(() => loadConfig({ ORION_CLOSE_GRACE_MS: "1.5" })).toThrow(
      /ORION_CLOSE_GRACE_MS must be an integer/,
    );
  });

  it("derives provider variable names from wire names", () => {
    expect(providerEnvStem("google-veo-3.1")).toBe("GOOGLE_VEO_3_1");
    expect(providerEnvStem("nvidia-cosmos-reason-2-8b")).toBe("NVIDIA_COSMOS_REASON_2_8B");
  });
});

describe("the tool-worker tier's settings", () => {
  it("runs tools in-process by default; a worker takes every toolset with heavy tools", () => {
    const { toolQueue } = loadConfig({});
    expect(toolQueue).toMatchObject({ mode: "off", prefix: "orion-tools", attempts: 3, lockMs: 30_000 });
    expect(toolQueue.workerToolsets).toEqual([Toolset.DOCUMENT, Toolset.IMAGE, Toolset.VIDEO, Toolset.VIZ]);
  });

  it("needs Redis for the queue, and toolsets that hold heavy tools", () => {
    expect(() => loadConfig({ ORION_TOOL_QUEUE: "redis" })).toThrow(
      /ORION_TOOL_QUEUE=redis needs REDIS_URL or REDIS_CLUSTER_NODES/,
    );
    expect(() => loadConfig({ ORION_TOOL_QUEUE: "kafka" })).toThrow(/ORION_TOOL_QUEUE/);
    expect(loadConfig({ ORION_TOOL_QUEUE: "redis", REDIS_URL: "redis://127.0.0.1:1" }).toolQueue.mode).toBe(
      "redis",
    );
    expect(loadConfig({ ORION_WORKER_TOOLSETS: "video, image" }).toolQueue.workerToolsets).toEqual([
      Toolset.VIDEO,
      Toolset.IMAGE,
    ]);
    expect(() => loadConfig({ ORION_WORKER_TOOLSETS: "document,web" })).toThrow(
      /ORION_WORKER_TOOLSETS takes toolsets with heavy tools \(document, image, video, viz\), got "web"/,
    );
    expect(() => loadConfig({ ORION_WORKER_CONCURRENCY: "0" })).toThrow(/ORION_WORKER_CONCURRENCY/);
  });
});

describe("vlmrun.yaml defaults", () => {
  const dirWith = (yaml: string) => {
    const dir = mkdtempSync(join(tmpdir(), "orion-defaults-"));
    writeFileSync(join(dir, "vlmrun.yaml"), yaml);
    return dir;
  };

  it("reads model, toolsets and models from the working directory", () => {
    const config = loadConfig(
      {},
      dirWith("model: vlmrun-orion-1:pro\ntoolsets: [core, image-gen, world_gen]\nmodels: [meta-sam3]\n"),
    );
    expect(config.defaults).toEqual({
      model: AgentModel.ORION_1_PRO,
      toolsets: [Toolset.CORE, Toolset.IMAGE_GEN, Toolset.WORLD_GEN],
      models: [Model.META_SAM3],
    });
  });

  it("has no defaults without the file, and names the problem in a bad one", () => {
    expect(loadConfig({}, mkdtempSync(join(tmpdir(), "orion-empty-"))).defaults).toEqual({
      model: undefined,
      toolsets: [],
      models: [],
    });
    expect(() => loadConfig({}, dirWith("toolsets: [core, magic]\n"))).toThrow(/unknown toolset "magic"/);
    expect(() => loadConfig({}, dirWith("model: gpt-4\n"))).toThrow(/unknown model "gpt-4"/);
    expect(() => loadConfig({}, dirWith("toolsets: core\n"))).toThrow(/toolsets must be a list/);
  });
});
