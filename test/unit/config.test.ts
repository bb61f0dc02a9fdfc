import { describe, expect, it } from "vitest";
import { Model } from "../../gen/vlmrun/agent/v1/enums_pb.js";
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

  it("derives provider variable names from wire names", () => {
    expect(providerEnvStem("google-veo-3.1")).toBe("GOOGLE_VEO_3_1");
    expect(providerEnvStem("nvidia-cosmos-reason-2-8b")).toBe("NVIDIA_COSMOS_REASON_2_8B");
  });
});
