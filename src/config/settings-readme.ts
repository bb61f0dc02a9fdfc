import { type IntegerSetting, SETTINGS, type Setting } from "./settings-table.js";

// The README's settings table, rendered from SETTINGS (`npm run docs:settings` writes it between
// the markers; test/unit/settings-table.test.ts fails when the README differs).

export const README_BEGIN =
  "<!-- settings table: generated from src/config/settings-table.ts by npm run docs:settings -->";
export const README_END = "<!-- end of settings table -->";

const UNITS = [
  [1024 ** 3, "GiB"],
  [1024 ** 2, "MiB"],
  [1024, "KiB"],
] as const;

/** 268435456 → "256 MiB"; a count that is no whole number of KiB stays as it is. */
function bytes(n: number): string {
  for (const [size, unit] of UNITS) if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  return String(n);
}

const code = (s: string) => `\`${s}\``;

function integerDefault(name: string, setting: IntegerSetting): string {
  if (setting.defaultText) return setting.defaultText;
  const value = setting.default as number;
  const human = name.endsWith("_BYTES") ? bytes(value) : String(value);
  return human === String(value) ? code(String(value)) : `${code(String(value))} (${human})`;
}

function integerRange(name: string, setting: IntegerSetting): string {
  const show = name.endsWith("_BYTES") ? bytes : String;
  const range = `${show(setting.min)} … ${show(setting.max)}`;
  return setting.auto ? `${range}, or ${code("auto")}` : range;
}

function defaultText(name: string, setting: Setting): string {
  switch (setting.kind) {
    case "integer":
      return integerDefault(name, setting);
    case "choice":
    case "host":
    case "toolsets":
      return code(setting.default);
    case "list":
      return setting.default === "" ? "unset" : code(setting.default);
    case "path":
      return setting.defaultText;
    case "text":
      return setting.defaultText ?? (setting.default !== undefined ? code(setting.default) : "unset");
    default:
      return "unset";
  }
}

function accepted(name: string, setting: Setting): string {
  switch (setting.kind) {
    case "integer":
      return integerRange(name, setting);
    case "choice":
      return setting.values.map(code).join(", ");
    case "text":
      return "text";
    case "secret":
      return "text (a secret)";
    case "http-url":
      return "http(s) URL";
    case "redis-url":
      return `${code("redis://")} or ${code("rediss://")} URL`;
    case "host":
      return "IP address or host name";
    case "host-ports":
      return `${code("host:port")}, …`;
    case "list":
      return "comma-separated";
    case "path":
      return `a folder, or ${code(":memory:")}`;
    case "toolsets":
      return "comma-separated toolsets";
    case "mcp-servers":
      return `a JSON array of ${code('{"name", "url", "headers"?, "timeout_ms"?}')}`;
    case "api-keys":
      return `${code("key=user[:plan]")}, …`;
  }
}

function variable(name: string, setting: Setting): string {
  return "perVariant" in setting ? `${code(name)}, ${code(`${name}_<V>`)}` : code(name);
}

/** The README's table of every setting, one row each, in the table's order. */
export function settingsReadmeTable(): string {
  const rows = (Object.entries(SETTINGS) as [string, Setting][]).map(
    ([name, setting]) =>
      `| ${variable(name, setting)} | ${defaultText(name, setting)} | ${accepted(name, setting)} | ${setting.doc} |`,
  );
  return ["| variable | default | accepted | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** `readme` with the text between the markers replaced by the generated table. */
export function withSettingsTable(readme: string): string {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) throw new Error("README.md has no settings table markers");
  return `${readme.slice(0, begin + README_BEGIN.length)}\n${settingsReadmeTable()}\n${readme.slice(end)}`;
}
