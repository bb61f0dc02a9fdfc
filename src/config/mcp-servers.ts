import { type Env, httpUrl, rawText } from "./parse.js";
import { ConfigError, type McpServerConfig } from "./types.js";

const MCP_SERVER_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const MCP_SERVER_KEYS = new Set(["name", "url", "headers", "timeout_ms"]);

/**
 * ORION_MCP_SERVERS: a JSON array of {name, url, headers?, timeout_ms?}; each problem is one line
 * naming the entry and the field.
 */
export function mcpServers(env: Env, setting: "ORION_MCP_SERVERS"): McpServerConfig[] {
  const raw = rawText(env, setting);
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${setting} must be a JSON array of {"name", "url", "headers"?, "timeout_ms"?}`);
  }
  if (!Array.isArray(parsed) || parsed.length > 32)
    throw new ConfigError(`${setting} must be a JSON array of at most 32 servers`);
  const names = new Set<string>();
  return parsed.map((entry: unknown, i) => {
    const at = `${setting}[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry))
      throw new ConfigError(`${at} must be an object {"name", "url", "headers"?, "timeout_ms"?}`);
    const e = entry as Record<string, unknown>;
    const unknownKey = Object.keys(e).find((k) => !MCP_SERVER_KEYS.has(k));
    if (unknownKey) throw new ConfigError(`${at} has an unknown field "${unknownKey}"`);
    if (typeof e.name !== "string" || !MCP_SERVER_NAME.test(e.name))
      throw new ConfigError(`${at}.name must be 1-32 characters of a-z, 0-9 and "-", starting with a letter`);
    if (names.has(e.name)) throw new ConfigError(`${at}.name "${e.name}" is used twice`);
    names.add(e.name);
    const url = httpUrl({ [`${at}.url`]: typeof e.url === "string" ? e.url : undefined }, `${at}.url`);
    if (url === undefined) throw new ConfigError(`${at}.url must be an http(s) URL`);
    const headers = e.headers ?? {};
    if (
      typeof headers !== "object" ||
      headers === null ||
      Array.isArray(headers) ||
      Object.values(headers).some((v) => typeof v !== "string")
    )
      throw new ConfigError(`${at}.headers must be an object of header names to strings`);
    const timeout = e.timeout_ms ?? 60_000;
    if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 100 || timeout > 3_600_000)
      throw new ConfigError(`${at}.timeout_ms must be an integer from 100 to 3600000`);
    return { name: e.name, url, headers: headers as Record<string, string>, timeoutMs: timeout };
  });
}
