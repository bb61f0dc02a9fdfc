import net from "node:net";
import { PLANS } from "../identity/plans.js";
import { HEAVY_TOOLSETS } from "../tool-queue/heavy-toolsets.js";
import { wireNames } from "../wire/names.js";
import {
  defaultOf,
  type IntegerSetting,
  SETTINGS,
  type Setting,
  type SettingsOfKind,
} from "./settings-table.js";
import { ConfigError, type IdentityConfig } from "./types.js";

// One reader per kind of setting. Each takes its default, range and allowed values from the
// setting's entry in SETTINGS and words its start-up error from them, naming the variable.
// `name` is the variable read; `setting` defaults to its own entry (a per-variant or per-provider
// name passes the entry of its pattern).

export type Env = Record<string, string | undefined>;

type Spec<K extends Setting["kind"]> = Extract<Setting, { kind: K }>;

function specOf<K extends Setting["kind"]>(name: string, kind: K): Spec<K> {
  const setting = (SETTINGS as Record<string, Setting>)[name];
  if (setting?.kind !== kind) throw new Error(`${name} is not a ${kind} setting in SETTINGS`);
  return setting as Spec<K>;
}

/** The value set, trimmed; undefined when unset or blank. */
export function rawText(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === "" ? undefined : raw;
}

/** A Standard Webhooks secret, `whsec_` then base64 of at least 24 bytes: its key bytes. */
export function webhookSecret(env: Env, name: "ORION_WEBHOOK_SECRET"): Uint8Array | undefined {
  const raw = rawText(env, name);
  if (raw === undefined) return undefined;
  const key = raw.startsWith("whsec_") ? Buffer.from(raw.slice("whsec_".length), "base64") : undefined;
  if (!key || key.length < 24 || !/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(raw)) {
    throw new ConfigError(`${name} must be whsec_ followed by the base64 of 24 or more random bytes`);
  }
  return new Uint8Array(key);
}

export function integer(
  env: Env,
  name: SettingsOfKind<"integer">,
  setting: IntegerSetting = specOf(name, "integer"),
  fallback = defaultOf(setting),
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  if (setting.auto && raw.trim() === "auto") return setting.auto();
  const value = Number(raw);
  const { min, max } = setting;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * An integer setting that may not exceed another one (`atMost`): unset, it is the smaller of its
 * default and that one's value.
 */
export function cappedInteger(env: Env, name: SettingsOfKind<"integer">, ceiling: number): number {
  const setting: IntegerSetting = specOf(name, "integer");
  const value = integer(env, name, setting, Math.min(defaultOf(setting), ceiling));
  if (value > ceiling) {
    throw new ConfigError(`${name} (${value}) must not be above ${setting.atMost} (${ceiling})`);
  }
  return value;
}

export function choice<T extends string>(env: Env, name: string, setting = specOf(name, "choice")): T {
  const raw = rawText(env, name) ?? setting.default;
  if (!setting.values.includes(raw)) {
    throw new ConfigError(`${name} must be one of ${setting.values.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

/** A text setting (a secret too): its value, else its default (if it has one). */
export function text(env: Env, name: string, setting?: Spec<"text"> | Spec<"secret">): string | undefined {
  const spec = setting ?? (SETTINGS as Record<string, Setting>)[name];
  if (spec?.kind !== "text" && spec?.kind !== "secret")
    throw new Error(`${name} is not a text setting in SETTINGS`);
  return rawText(env, name) ?? ("default" in spec ? spec.default : undefined);
}

/** An http(s) URL without its trailing slashes. */
export function httpUrl(env: Env, name: string): string | undefined {
  const raw = rawText(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, "");
}

/** redis:// or rediss:// with a host. */
export function redisUrl(env: Env, name: SettingsOfKind<"redis-url">): string | undefined {
  const raw = rawText(env, name);
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !["redis:", "rediss:"].includes(url.protocol) || url.hostname === "") {
    throw new ConfigError(`${name} must be a redis:// or rediss:// URL, got "${raw.slice(0, 200)}"`);
  }
  return raw;
}

/** An address to listen on: an IP, or a host name (never a malformed dotted quad like 999.1.1.1). */
export function host(env: Env, name: SettingsOfKind<"host">): string {
  const raw = rawText(env, name) ?? specOf(name, "host").default;
  const looksNumeric = /^[\d.]+$/.test(raw);
  const hostname =
    /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
  if (net.isIP(raw) === 0 && (looksNumeric || !hostname.test(raw))) {
    throw new ConfigError(`${name} must be an IP address or a host name, got "${raw}"`);
  }
  return raw;
}

/** host:port pairs, comma-separated. */
export function hostPorts(env: Env, name: SettingsOfKind<"host-ports">): string[] {
  const nodes = (rawText(env, name) ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
  for (const node of nodes) {
    const port = Number(/:(\d+)$/.exec(node)?.[1]);
    if (!/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(node) || !(port >= 1 && port <= 65535)) {
      throw new ConfigError(
        `${name} must list host:port pairs separated by commas, got "${node.slice(0, 200)}"`,
      );
    }
  }
  return nodes;
}

/** Comma-separated entries, blanks dropped. */
export function list(env: Env, name: SettingsOfKind<"list">): string[] {
  return (rawText(env, name) ?? specOf(name, "list").default)
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/** Comma-separated wire names of toolsets with heavy tools. */
export function toolsets(env: Env, name: SettingsOfKind<"toolsets">) {
  return (rawText(env, name) ?? specOf(name, "toolsets").default).split(",").map((entry) => {
    const toolset = wireNames.toolset.fromWire(entry.trim());
    if (toolset === undefined || !HEAVY_TOOLSETS.includes(toolset)) {
      const names = HEAVY_TOOLSETS.map((t) => wireNames.toolset.toWire(t)).join(", ");
      throw new ConfigError(`${name} takes toolsets with heavy tools (${names}), got "${entry.trim()}"`);
    }
    return toolset;
  });
}

/** `key=user[:plan]` entries, comma-separated; the plan defaults to enterprise. */
export function apiKeys(env: Env, name: SettingsOfKind<"api-keys">): IdentityConfig["apiKeys"] {
  const raw = rawText(env, name);
  if (raw === undefined) return [];
  return raw.split(",").map((entry) => {
    const match = /^([^=\s]{8,})=([^:\s]+)(?::(\w+))?$/.exec(entry.trim());
    const plan = match?.[3] ?? "enterprise";
    if (!match || !(PLANS as readonly string[]).includes(plan)) {
      throw new ConfigError(
        `${name} entries must look like key=user[:plan] (key of 8+ characters, plan one of ${PLANS.join(", ")})`,
      );
    }
    return { key: match[1] as string, user: match[2] as string, plan };
  });
}
