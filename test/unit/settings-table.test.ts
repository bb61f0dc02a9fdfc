import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { withSettingsTable } from "../../src/config/settings-readme.js";
import { ConfigError, loadConfig, SETTINGS, type Setting } from "../../src/config.js";

const entries = Object.entries(SETTINGS) as [string, Setting][];

/** The table entry a variable read by loadConfig belongs to (per-variant and per-provider names too). */
function entryOf(variable: string): string | undefined {
  if (variable in SETTINGS) return variable;
  const variant = /^(.*)_(LITE|FAST|AUTO|PRO)$/.exec(variable);
  const stem = (SETTINGS as Record<string, Setting>)[variant?.[1] ?? ""];
  if (variant && stem && "perVariant" in stem) return variant[1];
  const provider = /^ORION_MODEL_[A-Z0-9_]+?_(URL|API_KEY|MODEL)$/.exec(variable);
  return provider ? `ORION_MODEL_<NAME>_${provider[1]}` : undefined;
}

describe("the settings table", () => {
  it("is what the README shows (npm run docs:settings rewrites it)", () => {
    const readme = readFileSync("README.md", "utf8");
    expect(withSettingsTable(readme)).toBe(readme);
  });

  it("is every variable loadConfig reads, and loadConfig reads every one of them", () => {
    const read = new Set<string>();
    // An upstream and a search endpoint set, so the settings read only with them are read too.
    const given: Record<string, string | undefined> = {
      ORION_LLM_BASE_URL: "http://llm.local/v1",
      ORION_LLM_MODEL: "m",
      ORION_SEARCH_URL: "http://search.local",
    };
    const env = new Proxy(given, {
      get(target, name) {
        if (typeof name === "string") read.add(name);
        return typeof name === "string" ? target[name] : undefined;
      },
    });
    loadConfig(env);
    const outside = [...read].filter((name) => entryOf(name) === undefined);
    expect(outside).toEqual([]);
    const unread = entries
      .map(([name]) => name)
      .filter((name) => ![...read].some((r) => entryOf(r) === name));
    expect(unread).toEqual([]);
  });

  it("words each integer's range error from its entry and enforces that range", () => {
    for (const [name, setting] of entries) {
      if (setting.kind !== "integer") continue;
      for (const bad of [setting.min - 1, setting.max + 1]) {
        expect(() => loadConfig({ [name]: String(bad) }), name).toThrow(
          new ConfigError(`${name} must be an integer from ${setting.min} to ${setting.max}, got "${bad}"`),
        );
      }
      expect(() => loadConfig({ [name]: String(setting.min) }), name).not.toThrow();
    }
  });

  it("words each choice's error from its values", () => {
    for (const [name, setting] of entries) {
      if (setting.kind !== "choice") continue;
      expect(() => loadConfig({ [name]: "bogus" }), name).toThrow(
        `${name} must be one of ${setting.values.join(", ")}, got "bogus"`,
      );
    }
  });

  it("gives every setting its table default when nothing is set", () => {
    const config = loadConfig({});
    expect(config.port).toBe(SETTINGS.PORT.default);
    expect(config.connections.closeGraceMs).toBe(SETTINGS.ORION_CLOSE_GRACE_MS.default);
    expect(config.sessions.ttlMs).toBe(SETTINGS.ORION_SESSION_TTL_SECONDS.default * 1000);
    expect(config.videoBinaries).toEqual({ ffmpeg: "ffmpeg", ffprobe: "ffprobe" });
    expect(config.logLevel).toBe(SETTINGS.ORION_LOG_LEVEL.default);
  });
});
