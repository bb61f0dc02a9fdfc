import { builtinTools } from "../src/tools/builtin.js";
import { providerTools } from "../src/tools/providers/catalog.js";
import { loadConfig } from "../src/config.js";
import { wireNames } from "../src/wire/names.js";
const env: Record<string,string> = { ORION_SEARCH_URL: "http://x.test" };
for (const m of wireNames.model.values) env[`ORION_MODEL_${(wireNames.model.toWire(m) ?? "").toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_URL`] = "http://x.test";
const config = loadConfig(env);
const reg = builtinTools(config.fetch, config.search).register(...providerTools(config.providers));
for (const t of reg.select([0,1,2,3,4,5,6,7,8,9,10] as never, wireNames.model.values as never)) {
  const p = t.parameters as { properties?: Record<string, unknown>; required?: string[] };
  console.log(t.name.padEnd(22), String(t.toolset).padEnd(3), (p.required ?? []).join(","), "|", Object.keys(p.properties ?? {}).join(","));
}
