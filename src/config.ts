import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path, { join } from "node:path";
import { AgentModel, type Model, Toolset } from "../gen/vlmrun/agent/v1/enums_pb.js";
import { parseBoundedYaml, YamlProblem } from "./runtime/bounded-yaml.js";
import { packageRoot } from "./runtime/package-root.js";
import { wireNames } from "./wire/names.js";

// Every shape this module parses is defined here, so config depends on no feature module.

/** How remote URLs (content parts, tools) may be fetched. */
export interface FetchPolicy {
  /** Allow private and loopback targets (ORION_ALLOW_PRIVATE_URLS). */
  allowPrivate: boolean;
  /** Hosts (or host:port) allowed even when they resolve to forbidden addresses. */
  allowHosts: string[];
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
}

/** The kinds of attached media. */
export type MediaKind = "image" | "video" | "audio" | "document";

export interface MediaLimits {
  /** Largest part of each kind, in bytes. */
  perKind: Record<MediaKind, number>;
  /** Largest total of all parts in one request. */
  total: number;
}

/** The web_search tool's endpoint. */
export interface SearchConfig {
  /** A SearXNG instance (or anything answering its JSON API): ORION_SEARCH_URL. */
  url: string;
  apiKey: string | undefined;
  timeoutMs: number;
}

/** Deadlines and caps for every stage of a connection (the `ORION_*_TIMEOUT_MS` settings). */
export interface ConnectionLimits {
  /** Until the first bytes decide the protocol. */
  sniffTimeoutMs: number;
  /** Until an HTTP/1 request's headers are complete. */
  headersTimeoutMs: number;
  /** Until a whole request (headers and body) has arrived, on HTTP/1 and on each HTTP/2 stream. */
  requestTimeoutMs: number;
  /** An idle HTTP/1 keep-alive connection, and an HTTP/2 session with no open stream. */
  idleTimeoutMs: number;
  /** Open connections at most; more are closed on arrival and counted by `onRefused`. */
  maxConnections: number;
  /** Streams open at once on one HTTP/2 connection (advertised in SETTINGS); more are refused. */
  h2MaxConcurrentStreams: number;
  /**
   * How long a connection the server has ended (408, 400, GOAWAY, idle) may linger for its last
   * bytes to leave before its socket is destroyed, whether or not the client reads or closes.
   */
  closeGraceMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  sniffTimeoutMs: 5_000,
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 120_000,
  idleTimeoutMs: 65_000,
  maxConnections: 10_000,
  h2MaxConcurrentStreams: 100,
  closeGraceMs: 1_000,
};

/**
 * Pages pdf_text reads a call: about 100 dense pages already fill its 200,000-character answer,
 * and pdfjs reads them in a second or two, far inside the 60 s tool timeout.
 */
export const DEFAULT_PDF_MAX_PAGES = 100;

/** Caps on a caller's JSON Schema, checked before anything compiles it. */
export interface SchemaLimits {
  /** The schema as JSON text, in bytes. */
  maxBytes: number;
  /** Nesting of objects and arrays. */
  maxDepth: number;
  /** Objects and arrays in all (each property, subschema and list counts). */
  maxNodes: number;
}

export const DEFAULT_SCHEMA_LIMITS: SchemaLimits = { maxBytes: 64 * 1024, maxDepth: 32, maxNodes: 2_000 };

export interface SchemaValidatorOptions {
  limits: SchemaLimits;
  /** Longest a compile or a check may take; past it the worker thread is ended. */
  timeoutMs: number;
  /** Bytes of schema text whose compiled validators are kept. */
  cacheBytes: number;
}

/** An OpenAI-compatible upstream endpoint and the model name to ask it for. */
export interface UpstreamConfig {
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  /** Whether the upstream takes `tools` (ORION_LLM_TOOLS, per variant ORION_LLM_TOOLS_<V>). */
  tools: boolean;
  /** The variable that decided `tools`, named in errors. */
  toolsSetting: string;
}

export interface ProviderConfig {
  url: string | undefined;
  apiKey: string | undefined;
  /** The model name sent to an OpenAI-protocol provider (ORION_MODEL_<NAME>_MODEL; default: its id). */
  model: string | undefined;
  /** Longest wait for one provider call; generation jobs poll up to ORION_PROVIDER_JOB_TIMEOUT_MS. */
  timeoutMs: number;
  jobTimeoutMs: number;
  /** The environment variable that sets `url`, e.g. ORION_MODEL_META_SAM3_URL. */
  urlSetting: string;
}

export type Variant = "lite" | "fast" | "auto" | "pro";
export const VARIANTS: readonly Variant[] = ["lite", "fast", "auto", "pro"];

export interface StreamLimits {
  /** The upstream is paused once this many bytes of a stream wait for its client. */
  bufferBytes: number;
  /** A stream whose client has taken nothing for this long is ended. */
  stallTimeoutMs: number;
}

export type QuotaFailureMode = "closed" | "open";

export interface StoreConfig {
  redisUrl: string | undefined;
  clusterNodes: string[];
  prefix: string;
  commandTimeoutMs: number;
  /**
   * Where the embedded store (no Redis) keeps its file, ORION_DATA_DIR (absolute); IN_MEMORY keeps
   * it in the process instead.
   */
  dataDir: string;
  /** Bounds of the embedded store (no Redis): the least recently written go first past them. */
  embedded: {
    maxSessions: number;
    maxSessionBytes: number;
    maxRecordBytes: number;
    maxArtifactBytes: number;
  };
}

/**
 * The tool-worker tier: with ORION_TOOL_QUEUE=redis, heavy tools run as BullMQ jobs that
 * `orion worker` processes take; "off" runs every tool in the server process.
 */
export interface ToolQueueConfig {
  mode: "off" | "redis";
  /** BullMQ key prefix; hash-tagged on Redis Cluster so a queue's keys share one slot. */
  prefix: string;
  /** Runs of a job that crashes or stalls before it ends as a tool error. */
  attempts: number;
  /** A worker's lock on a running job; a worker silent this long is taken for dead. */
  lockMs: number;
  /** What an `orion worker` takes (ORION_WORKER_TOOLSETS) and how many at once per toolset. */
  workerToolsets: Toolset[];
  workerConcurrency: number;
}

/** The toolsets that hold heavy tools: what a worker takes by default. */
export const HEAVY_TOOLSETS: readonly Toolset[] = [
  Toolset.DOCUMENT,
  Toolset.IMAGE,
  Toolset.VIDEO,
  Toolset.VIZ,
];

/** Redis is configured (REDIS_URL or REDIS_CLUSTER_NODES): state is shared between processes. */
export function usesRedis(store: StoreConfig): boolean {
  return store.redisUrl !== undefined || store.clusterNodes.length > 0;
}

/** Whether several processes (ORION_WORKERS, the CLI) see the same state: Redis, or the data directory. */
export function sharedAcrossProcesses(store: StoreConfig): boolean {
  return usesRedis(store) || store.dataDir !== IN_MEMORY;
}

/** ORION_DATA_DIR=:memory: keeps the embedded store in the process, losing everything at exit. */
export const IN_MEMORY = ":memory:";

export interface IdentityConfig {
  /** `key=user[:plan]` entries from ORION_API_KEYS. */
  apiKeys: { key: string; user: string; plan: string }[];
  jwtSecret: string | undefined;
  jwtJwksUrl: string | undefined;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  /** Take the guest's IP from X-Forwarded-For (behind a trusted proxy). */
  trustProxy: boolean;
  /** Keys derived guest ids (ORION_GUEST_SECRET); unset → a random one kept in the store. */
  guestSecret: string | undefined;
  /**
   * Longest a signed-in token may still be used from now (its `exp`), and oldest it may be (its
   * `iat`, when it has one): ORION_JWT_MAX_AGE_SECONDS; 0 → only `exp` itself.
   */
  jwtMaxAgeSeconds: number;
}

/** A day: the longest default access-token lifetime of the common identity providers (Auth0's). */
export const DEFAULT_JWT_MAX_AGE_SECONDS = 86_400;

/** Guest chats per day and what happens when the store cannot count them. */
export interface QuotaConfig {
  guestDailyLimit: number;
  /** Guest chats a day from one address, whatever the browser id (0 = no such backstop). */
  guestIpDailyLimit: number;
  failureMode: QuotaFailureMode;
}

/** How long conversations (and the artifacts made in them) are kept, and how much of them. */
export interface SessionConfig {
  ttlMs: number;
  maxMessages: number;
  /** Oldest messages are dropped while a session's stored messages add up to more bytes than this. */
  maxBytes: number;
  artifactMaxBytes: number;
}

/** Uploaded files (the Files API): caps and how long they are kept. */
export interface FilesConfig {
  /** Largest file, direct or presigned (ORION_FILE_MAX_BYTES). */
  maxBytes: number;
  /** Most bytes of live files one caller may keep (ORION_FILES_MAX_BYTES_PER_OWNER). */
  maxBytesPerOwner: number;
  /** How long a file is kept after its upload (ORION_FILE_TTL_DAYS). */
  ttlMs: number;
}

export const PLANS = ["starter", "pro", "enterprise"] as const;
export type Plan = (typeof PLANS)[number];

/** Request defaults from a `vlmrun.yaml` in the working directory. */
export interface RequestDefaults {
  model: AgentModel | undefined;
  toolsets: Toolset[];
  models: Model[];
}

export interface Config {
  host: string;
  port: number;
  /** Largest request body on REST and RPC, in bytes (a signed-in caller's; guests have `guestCaps`). */
  maxBodyBytes: number;
  /** Largest text (a message's content or one text part) a signed-in caller may send, in UTF-8 bytes. */
  maxTextBytes: number;
  /** A guest's caps, far below a signed-in caller's: guests need no account, so anyone can be one. */
  guestCaps: { maxBodyBytes: number; maxTextBytes: number };
  /** Deadlines for each stage of a connection, and the cap on open connections. */
  connections: ConnectionLimits;
  /** Caps, deadline and cache for callers' response_format schemas. */
  schema: SchemaValidatorOptions;
  /** A bearer token /metrics requires (ORION_METRICS_TOKEN); undefined leaves it open. */
  metricsToken: string | undefined;
  /** Allowed browser origins; ["*"] allows any. */
  corsOrigins: string[];
  /** The web_search tool's endpoint (ORION_SEARCH_URL); unset → the tool is not offered. */
  search: SearchConfig | undefined;
  /** The built browser playground served at `/`; undefined turns it off (ORION_PLAYGROUND=off). */
  webDir: string | undefined;
  logLevel: string;
  /** Tool worker threads (and their models) end after this long without a job. */
  toolIdleMs: number;
  /** Most pages pdf_text reads in one call (ORION_PDF_MAX_PAGES). */
  pdfMaxPages: number;
  /** Server processes sharing the port (node:cluster); 1 = this process serves. */
  workers: number;
  /** How long in-flight requests may run after SIGTERM before they are cut. */
  shutdownTimeoutMs: number;
  /** Upstream model per agent variant; undefined where none is configured. */
  upstreams: Record<Variant, UpstreamConfig | undefined>;
  /** Time to wait for upstream response headers, and at most between two streamed bytes. */
  upstreamTimeoutMs: number;
  /** Most concurrent upstream connections per origin. */
  upstreamMaxSockets: number;
  /** The upstream models read image parts, so tool-made images are shown to them. */
  upstreamVision: boolean;
  /** What a streamed reply may hold for a client that is not reading, and for how long. */
  streams: StreamLimits;
  providers: Map<Model, ProviderConfig>;
  defaults: RequestDefaults;
  /** How remote URLs (content parts, tools) may be fetched. */
  fetch: FetchPolicy;
  /** Size caps on attached media. */
  media: MediaLimits;
  /** A folder of skill bundles (ORION_SKILLS_DIR). */
  skillsDir: string | undefined;
  store: StoreConfig;
  toolQueue: ToolQueueConfig;
  identity: IdentityConfig;
  quota: QuotaConfig;
  sessions: SessionConfig;
  files: FilesConfig;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** ORION_DATA_DIR resolved against the working directory; default `data/` there. */
function dataDir(env: Env, cwd: string): string {
  const given = text(env, "ORION_DATA_DIR") ?? "data";
  return given === IN_MEMORY ? IN_MEMORY : path.resolve(cwd, given);
}

/** A guest's cap: at most the signed-in cap it shadows (unset, the smaller of the two defaults). */
function guestCap(env: Env, name: string, fallback: number, signedInName: string, signedIn: number): number {
  const cap = integer(env, name, Math.min(fallback, signedIn), 1024, 1024 * 1024 * 1024);
  if (cap > signedIn)
    throw new ConfigError(`${name} (${cap}) must not be above ${signedInName} (${signedIn})`);
  return cap;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function text(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === "" ? undefined : raw;
}

function httpUrl(env: Env, name: string): string | undefined {
  const raw = text(env, name);
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

/** The environment variable stem for a provider: "google-veo-3.1" → "GOOGLE_VEO_3_1". */
export function providerEnvStem(wireName: string): string {
  return wireName.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}

function upstreamFor(env: Env, variant: Variant): UpstreamConfig | undefined {
  const suffix = `_${variant.toUpperCase()}`;
  const baseUrl = httpUrl(env, `ORION_LLM_BASE_URL${suffix}`) ?? httpUrl(env, "ORION_LLM_BASE_URL");
  if (baseUrl === undefined) return undefined;
  const model = text(env, `ORION_LLM_MODEL${suffix}`) ?? text(env, "ORION_LLM_MODEL");
  if (model === undefined) {
    throw new ConfigError(
      `ORION_LLM_MODEL (or ORION_LLM_MODEL${suffix}) must name the upstream model when ORION_LLM_BASE_URL is set`,
    );
  }
  const apiKey = text(env, `ORION_LLM_API_KEY${suffix}`) ?? text(env, "ORION_LLM_API_KEY");
  const { tools, toolsSetting } = llmTools(env, variant);
  return { baseUrl, apiKey, model, tools, toolsSetting };
}

/** ORION_LLM_TOOLS_<V>, else ORION_LLM_TOOLS: checked whether or not an upstream is configured. */
function llmTools(env: Env, variant: Variant): Pick<UpstreamConfig, "tools" | "toolsSetting"> {
  const own = `ORION_LLM_TOOLS_${variant.toUpperCase()}`;
  const toolsSetting = text(env, own) ? own : "ORION_LLM_TOOLS";
  return { tools: oneOf(env, toolsSetting, ["on", "off"], "on") === "on", toolsSetting };
}

/** The ORION_LLM_* settings that take a per-variant suffix (`_LITE`, `_FAST`, `_AUTO`, `_PRO`). */
const PER_VARIANT_LLM_SETTINGS = [
  "ORION_LLM_BASE_URL",
  "ORION_LLM_MODEL",
  "ORION_LLM_API_KEY",
  "ORION_LLM_TOOLS",
] as const;
/** The ORION_LLM_* settings shared by every variant. */
const SHARED_LLM_SETTINGS = ["ORION_LLM_TIMEOUT_MS", "ORION_LLM_MAX_SOCKETS", "ORION_LLM_VISION"] as const;

/**
 * Every ORION_LLM_* variable must be one this server reads: a misspelt variant suffix
 * (ORION_LLM_MODEL_TURBO) would otherwise leave that variant on the shared value, silently.
 */
function checkLlmVariables(env: Env): void {
  const suffixes = VARIANTS.map((v) => v.toUpperCase());
  for (const name of Object.keys(env)) {
    if (!name.startsWith("ORION_LLM_") || env[name] === undefined) continue;
    if ((SHARED_LLM_SETTINGS as readonly string[]).includes(name)) continue;
    const stem = PER_VARIANT_LLM_SETTINGS.find((s) => name === s || name.startsWith(`${s}_`));
    if (stem !== undefined) {
      const suffix = name.slice(stem.length + 1);
      if (name === stem || suffixes.includes(suffix)) continue;
      throw new ConfigError(
        `${name} is not a setting: the variant suffix "${suffix}" must be one of ${suffixes.join(", ")} (e.g. ${stem}_PRO)`,
      );
    }
    const known = [...PER_VARIANT_LLM_SETTINGS.map((s) => `${s}[_<V>]`), ...SHARED_LLM_SETTINGS];
    throw new ConfigError(`${name} is not a setting; the ORION_LLM_ settings are ${known.join(", ")}`);
  }
}

function apiKeys(env: Env): IdentityConfig["apiKeys"] {
  const raw = text(env, "ORION_API_KEYS");
  if (raw === undefined) return [];
  return raw.split(",").map((entry) => {
    const match = /^([^=\s]{8,})=([^:\s]+)(?::(\w+))?$/.exec(entry.trim());
    const plan = match?.[3] ?? "enterprise";
    if (!match || !(PLANS as readonly string[]).includes(plan)) {
      throw new ConfigError(
        `ORION_API_KEYS entries must look like key=user[:plan] (key of 8+ characters, plan one of ${PLANS.join(", ")})`,
      );
    }
    return { key: match[1] as string, user: match[2] as string, plan };
  });
}

/** Comma-separated wire names of toolsets with heavy tools; unset → `fallback`. */
function toolsetList(env: Env, name: string, fallback: readonly Toolset[]): Toolset[] {
  const raw = text(env, name);
  if (raw === undefined) return [...fallback];
  return raw.split(",").map((entry) => {
    const toolset = wireNames.toolset.fromWire(entry.trim());
    if (toolset === undefined || !HEAVY_TOOLSETS.includes(toolset)) {
      const names = HEAVY_TOOLSETS.map((t) => wireNames.toolset.toWire(t)).join(", ");
      throw new ConfigError(`${name} takes toolsets with heavy tools (${names}), got "${entry.trim()}"`);
    }
    return toolset;
  });
}

/** "auto" (one per core) or a count. */
function workerCount(env: Env, name: string): number {
  if (env[name]?.trim() === "auto") return os.availableParallelism();
  return integer(env, name, 1, 1, 256);
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** An address to listen on: an IP, or a host name (never a malformed dotted quad like 999.1.1.1). */
function host(env: Env, name: string): string {
  const raw = text(env, name) ?? "127.0.0.1";
  const looksNumeric = /^[\d.]+$/.test(raw);
  const hostname =
    /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
  if (net.isIP(raw) === 0 && (looksNumeric || !hostname.test(raw))) {
    throw new ConfigError(`${name} must be an IP address or a host name, got "${raw}"`);
  }
  return raw;
}

/** redis:// or rediss:// with a host. */
function redisUrl(env: Env, name: string): string | undefined {
  const raw = text(env, name);
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

/** host:port pairs, comma-separated. */
function clusterNodes(env: Env, name: string): string[] {
  const nodes = (text(env, name) ?? "")
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

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(env, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

function connectionLimits(env: Env): ConnectionLimits {
  const d = DEFAULT_CONNECTION_LIMITS;
  return {
    sniffTimeoutMs: integer(env, "ORION_SNIFF_TIMEOUT_MS", d.sniffTimeoutMs, 100, 60_000),
    // Node's own default (60 s) is the ceiling: headers that take longer are an attack.
    headersTimeoutMs: integer(env, "ORION_HEADERS_TIMEOUT_MS", d.headersTimeoutMs, 100, 60_000),
    requestTimeoutMs: integer(env, "ORION_REQUEST_TIMEOUT_MS", d.requestTimeoutMs, 100, 3_600_000),
    idleTimeoutMs: integer(env, "ORION_IDLE_TIMEOUT_MS", d.idleTimeoutMs, 100, 3_600_000),
    maxConnections: integer(env, "ORION_MAX_CONNECTIONS", d.maxConnections, 1, 1_000_000),
    h2MaxConcurrentStreams: integer(
      env,
      "ORION_H2_MAX_CONCURRENT_STREAMS",
      d.h2MaxConcurrentStreams,
      1,
      10_000,
    ),
    closeGraceMs: integer(env, "ORION_CLOSE_GRACE_MS", d.closeGraceMs, 0, 60_000),
  };
}

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

export function loadConfig(env: Env = process.env, dir = process.cwd()): Config {
  const providerTimeoutMs = integer(env, "ORION_PROVIDER_TIMEOUT_MS", 60_000, 100, 3_600_000);
  checkLlmVariables(env);
  oneOf(env, "ORION_LLM_TOOLS", ["on", "off"], "on");
  for (const variant of VARIANTS) llmTools(env, variant);
  const upstreams = Object.fromEntries(VARIANTS.map((v) => [v, upstreamFor(env, v)])) as Record<
    Variant,
    UpstreamConfig | undefined
  >;
  const providers = new Map<Model, ProviderConfig>();
  for (const model of wireNames.model.values) {
    const stem = providerEnvStem(wireNames.model.toWire(model) ?? "");
    const urlSetting = `ORION_MODEL_${stem}_URL`;
    providers.set(model, {
      url: httpUrl(env, urlSetting),
      apiKey: text(env, `ORION_MODEL_${stem}_API_KEY`),
      model: text(env, `ORION_MODEL_${stem}_MODEL`),
      timeoutMs: providerTimeoutMs,
      jobTimeoutMs: integer(env, "ORION_PROVIDER_JOB_TIMEOUT_MS", 600_000, 100, 24 * 3_600_000),
      urlSetting,
    });
  }
  const corsOrigins = (text(env, "ORION_CORS_ORIGINS") ?? "*")
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  const maxBodyBytes = integer(env, "ORION_MAX_BODY_BYTES", 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024);
  const maxTextBytes = integer(env, "ORION_MAX_TEXT_BYTES", 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024);
  const config: Config = {
    host: host(env, "HOST"),
    port: integer(env, "PORT", 8080, 0, 65535),
    maxBodyBytes,
    maxTextBytes,
    guestCaps: {
      maxBodyBytes: guestCap(
        env,
        "ORION_GUEST_MAX_BODY_BYTES",
        8 * 1024 * 1024,
        "ORION_MAX_BODY_BYTES",
        maxBodyBytes,
      ),
      maxTextBytes: guestCap(
        env,
        "ORION_GUEST_MAX_TEXT_BYTES",
        64 * 1024,
        "ORION_MAX_TEXT_BYTES",
        maxTextBytes,
      ),
    },
    connections: connectionLimits(env),
    schema: {
      limits: {
        maxBytes: integer(
          env,
          "ORION_SCHEMA_MAX_BYTES",
          DEFAULT_SCHEMA_LIMITS.maxBytes,
          64,
          16 * 1024 * 1024,
        ),
        maxDepth: integer(env, "ORION_SCHEMA_MAX_DEPTH", DEFAULT_SCHEMA_LIMITS.maxDepth, 2, 1_000),
        maxNodes: integer(env, "ORION_SCHEMA_MAX_NODES", DEFAULT_SCHEMA_LIMITS.maxNodes, 1, 1_000_000),
      },
      timeoutMs: integer(env, "ORION_SCHEMA_TIMEOUT_MS", 2_000, 10, 600_000),
      cacheBytes: integer(env, "ORION_SCHEMA_CACHE_BYTES", 8 * 1024 * 1024, 0, 1024 * 1024 * 1024),
    },
    metricsToken: text(env, "ORION_METRICS_TOKEN"),
    corsOrigins,
    search: (() => {
      const url = httpUrl(env, "ORION_SEARCH_URL");
      return url
        ? {
            url,
            apiKey: text(env, "ORION_SEARCH_API_KEY"),
            timeoutMs: providerTimeoutMs,
          }
        : undefined;
    })(),
    webDir:
      oneOf(env, "ORION_PLAYGROUND", ["on", "off"], "on") === "off"
        ? undefined
        : (text(env, "ORION_WEB_DIR") ?? defaultWebDir()),
    logLevel: oneOf(env, "ORION_LOG_LEVEL", LOG_LEVELS, "info"),
    toolIdleMs: integer(env, "ORION_TOOL_IDLE_MS", 300_000, 1_000, 86_400_000),
    pdfMaxPages: integer(env, "ORION_PDF_MAX_PAGES", DEFAULT_PDF_MAX_PAGES, 1, 100_000),
    workers: workerCount(env, "ORION_WORKERS"),
    shutdownTimeoutMs: integer(env, "ORION_SHUTDOWN_TIMEOUT_MS", 10_000, 0, 600_000),
    upstreams,
    upstreamTimeoutMs: integer(env, "ORION_LLM_TIMEOUT_MS", 120_000, 100, 3_600_000),
    upstreamMaxSockets: integer(env, "ORION_LLM_MAX_SOCKETS", 256, 1, 65_536),
    streams: {
      bufferBytes: integer(env, "ORION_STREAM_BUFFER_BYTES", 256 * 1024, 1024, 64 * 1024 * 1024),
      stallTimeoutMs: integer(env, "ORION_STREAM_STALL_TIMEOUT_MS", 30_000, 100, 3_600_000),
    },
    upstreamVision: oneOf(env, "ORION_LLM_VISION", ["true", "false"], "true") === "true",
    providers,
    defaults: loadDefaults(dir),
    skillsDir: text(env, "ORION_SKILLS_DIR"),
    fetch: {
      allowPrivate: oneOf(env, "ORION_ALLOW_PRIVATE_URLS", ["true", "false"], "false") === "true",
      allowHosts: (text(env, "ORION_URL_ALLOW_HOSTS") ?? "")
        .split(",")
        .map((h) => h.trim())
        .filter((h) => h !== ""),
      maxBytes: integer(env, "ORION_FETCH_MAX_BYTES", 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      timeoutMs: integer(env, "ORION_FETCH_TIMEOUT_MS", 15_000, 100, 600_000),
      maxRedirects: 5,
    },
    media: {
      perKind: {
        image: integer(env, "ORION_MEDIA_MAX_IMAGE_BYTES", 20 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
        video: integer(env, "ORION_MEDIA_MAX_VIDEO_BYTES", 256 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024),
        audio: integer(env, "ORION_MEDIA_MAX_AUDIO_BYTES", 64 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
        document: integer(env, "ORION_MEDIA_MAX_DOCUMENT_BYTES", 64 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      },
      total: integer(env, "ORION_MEDIA_MAX_TOTAL_BYTES", 512 * 1024 * 1024, 1024, 16 * 1024 * 1024 * 1024),
    },
    store: {
      redisUrl: redisUrl(env, "REDIS_URL"),
      clusterNodes: clusterNodes(env, "REDIS_CLUSTER_NODES"),
      prefix: text(env, "ORION_REDIS_PREFIX") ?? "orion:",
      commandTimeoutMs: integer(env, "ORION_STORE_TIMEOUT_MS", 250, 5, 60_000),
      dataDir: dataDir(env, dir),
      embedded: {
        maxSessions: integer(env, "ORION_EMBEDDED_MAX_SESSIONS", 50_000, 100, 10_000_000),
        maxSessionBytes: integer(
          env,
          "ORION_EMBEDDED_MAX_SESSION_BYTES",
          256 * 1024 * 1024,
          1024 * 1024,
          64 * 1024 * 1024 * 1024,
        ),
        maxRecordBytes: integer(
          env,
          "ORION_EMBEDDED_MAX_RECORD_BYTES",
          64 * 1024 * 1024,
          1024 * 1024,
          64 * 1024 * 1024 * 1024,
        ),
        maxArtifactBytes: integer(
          env,
          "ORION_EMBEDDED_MAX_ARTIFACT_BYTES",
          512 * 1024 * 1024,
          1024 * 1024,
          64 * 1024 * 1024 * 1024,
        ),
      },
    },
    toolQueue: {
      mode: oneOf(env, "ORION_TOOL_QUEUE", ["off", "redis"] as const, "off"),
      prefix: text(env, "ORION_TOOL_QUEUE_PREFIX") ?? "orion-tools",
      attempts: integer(env, "ORION_TOOL_ATTEMPTS", 3, 1, 20),
      lockMs: integer(env, "ORION_WORKER_LOCK_MS", 30_000, 500, 600_000),
      workerToolsets: toolsetList(env, "ORION_WORKER_TOOLSETS", HEAVY_TOOLSETS),
      workerConcurrency: integer(env, "ORION_WORKER_CONCURRENCY", os.availableParallelism(), 1, 1_000),
    },
    identity: {
      apiKeys: apiKeys(env),
      jwtSecret: text(env, "ORION_JWT_SECRET"),
      jwtJwksUrl: httpUrl(env, "ORION_JWT_JWKS_URL"),
      jwtIssuer: text(env, "ORION_JWT_ISSUER"),
      jwtAudience: text(env, "ORION_JWT_AUDIENCE"),
      trustProxy: oneOf(env, "ORION_TRUST_PROXY", ["true", "false"], "false") === "true",
      guestSecret: text(env, "ORION_GUEST_SECRET"),
      jwtMaxAgeSeconds: integer(
        env,
        "ORION_JWT_MAX_AGE_SECONDS",
        DEFAULT_JWT_MAX_AGE_SECONDS,
        0,
        365 * 86_400,
      ),
    },
    quota: {
      guestDailyLimit: integer(env, "ORION_GUEST_DAILY_LIMIT", 10, 0, 1_000_000_000),
      guestIpDailyLimit: integer(env, "ORION_GUEST_IP_DAILY_LIMIT", 0, 0, 1_000_000_000),
      failureMode: oneOf(env, "ORION_QUOTA_FAILURE_MODE", ["closed", "open"] as const, "closed"),
    },
    sessions: {
      ttlMs: integer(env, "ORION_SESSION_TTL_SECONDS", 7 * 24 * 3600, 1, 365 * 24 * 3600) * 1000,
      maxMessages: integer(env, "ORION_SESSION_MAX_MESSAGES", 200, 2, 100_000),
      maxBytes: integer(env, "ORION_SESSION_MAX_BYTES", 32 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
      artifactMaxBytes: integer(env, "ORION_ARTIFACT_MAX_BYTES", 64 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    },
    files: {
      maxBytes: integer(env, "ORION_FILE_MAX_BYTES", 256 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
      maxBytesPerOwner: integer(
        env,
        "ORION_FILES_MAX_BYTES_PER_OWNER",
        1024 * 1024 * 1024,
        1024,
        1024 * 1024 * 1024 * 1024,
      ),
      ttlMs: integer(env, "ORION_FILE_TTL_DAYS", 30, 1, 3650) * 86_400_000,
    },
  };
  if (config.workers > 1 && !sharedAcrossProcesses(config.store)) {
    throw new ConfigError(
      `ORION_WORKERS=${config.workers} needs a store the processes share: ORION_DATA_DIR=${IN_MEMORY} keeps it inside one process, so quota and sessions would split between workers (unset it, or set REDIS_URL)`,
    );
  }
  if (config.toolQueue.mode === "redis" && !usesRedis(config.store)) {
    throw new ConfigError(
      "ORION_TOOL_QUEUE=redis needs REDIS_URL or REDIS_CLUSTER_NODES: the API and `orion worker` processes meet in that Redis",
    );
  }
  return config;
}

/** The variant an agent model id runs as; the bare id is `:auto`. */
export function variantOf(model: AgentModel): Variant {
  switch (model) {
    case AgentModel.ORION_1_LITE:
      return "lite";
    case AgentModel.ORION_1_FAST:
      return "fast";
    case AgentModel.ORION_1_PRO:
      return "pro";
    default:
      return "auto";
  }
}

/** The folder `npm run build` writes the playground to: `<package root>/dist/web`. */
export function defaultWebDir(): string {
  return path.join(packageRoot, "dist", "web");
}
