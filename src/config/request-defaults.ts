import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBoundedYaml, YamlProblem } from "../runtime/bounded-yaml.js";
import { wireNames } from "../wire/names.js";
import { ConfigError, type RequestDefaults } from "./types.js";

/** Reads `vlmrun.yaml` (model, toolsets, models) when the folder has one. */
export function loadDefaults(dir: string): RequestDefaults {
  const path = join(dir, "vlmrun.yaml");
  const defaults: RequestDefaults = { model: undefined, toolsets: [], models: [] };
  if (!existsSync(path)) return defaults;
  let parsed: Record<string, unknown>;
  try {
    parsed = (parseBoundedYaml(readFileSync(path, "utf8")) ?? {}) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof YamlProblem) throw new ConfigError(`${path}: ${error.message}`);
    throw error;
  }
  const list = (key: string) => {
    const value = parsed[key] ?? [];
    if (!Array.isArray(value)) throw new ConfigError(`${path}: ${key} must be a list`);
    return value.map(String);
  };
  if (parsed.model !== undefined) {
    defaults.model = wireNames.agentModel.fromWire(String(parsed.model));
    if (defaults.model === undefined) throw new ConfigError(`${path}: unknown model "${parsed.model}"`);
  }
  defaults.toolsets = list("toolsets").map((t) => {
    const toolset = wireNames.toolset.fromWire(t);
    if (toolset === undefined) throw new ConfigError(`${path}: unknown toolset "${t}"`);
    return toolset;
  });
  defaults.models = list("models").map((m) => {
    const model = wireNames.model.fromWire(m);
    if (model === undefined) throw new ConfigError(`${path}: unknown tool provider "${m}"`);
    return model;
  });
  return defaults;
}
