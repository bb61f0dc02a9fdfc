import path from "node:path";
import type { Model } from "../../gen/vlmrun/agent/v1/enums_pb.js";
import { packageRoot } from "../runtime/package-root.js";
import { wireNames } from "../wire/names.js";
import { mcpServers } from "./mcp-servers.js";
import {
  apiKeys,
  cappedInteger,
  choice,
  type Env,
  host,
  hostPorts,
  httpUrl,
  integer,
  list,
  rawText,
  redisUrl,
  text,
  toolsets,
  webhookSecret,
} from "./parse.js";
import { loadDefaults } from "./request-defaults.js";
import { providerEnvStem, providerSettingName, SETTINGS, type Setting } from "./settings-table.js";
import {
  type Config,
  ConfigError,
  IN_MEMORY,
  type ProviderConfig,
  sharedAcrossProcesses,
  type UpstreamConfig,
  usesRedis,
  VARIANTS,
  type Variant,
} from "./types.js";

/** Reads every setting in SETTINGS from `env`; a bad value is a ConfigError naming its variable. */
export function loadConfig(env: Env = process.env, dir = process.cwd()): Config {
  const providerTimeoutMs = integer(env, "ORION_PROVIDER_TIMEOUT_MS");
  checkLlmVariables(env);
  choice(env, "ORION_LLM_TOOLS");
  for (const variant of VARIANTS) llmTools(env, variant);
  const upstreams = Object.fromEntries(VARIANTS.map((v) => [v, upstreamFor(env, v)])) as Record<
    Variant,
    UpstreamConfig | undefined
  >;
  const maxBodyBytes = integer(env, "ORION_MAX_BODY_BYTES");
  const maxTextBytes = integer(env, "ORION_MAX_TEXT_BYTES");
  const searchUrl = httpUrl(env, "ORION_SEARCH_URL");
  const config: Config = {
    host: host(env, "HOST"),
    port: integer(env, "PORT"),
    maxBodyBytes,
    maxTextBytes,
    guestCaps: {
      maxBodyBytes: cappedInteger(env, "ORION_GUEST_MAX_BODY_BYTES", maxBodyBytes),
      maxTextBytes: cappedInteger(env, "ORION_GUEST_MAX_TEXT_BYTES", maxTextBytes),
    },
    connections: {
      sniffTimeoutMs: integer(env, "ORION_SNIFF_TIMEOUT_MS"),
      headersTimeoutMs: integer(env, "ORION_HEADERS_TIMEOUT_MS"),
      requestTimeoutMs: integer(env, "ORION_REQUEST_TIMEOUT_MS"),
      idleTimeoutMs: integer(env, "ORION_IDLE_TIMEOUT_MS"),
      maxConnections: integer(env, "ORION_MAX_CONNECTIONS"),
      writeStallMs: integer(env, "ORION_STREAM_STALL_TIMEOUT_MS"),
      h2MaxConcurrentStreams: integer(env, "ORION_H2_MAX_CONCURRENT_STREAMS"),
      closeGraceMs: integer(env, "ORION_CLOSE_GRACE_MS"),
    },
    schema: {
      limits: {
        maxBytes: integer(env, "ORION_SCHEMA_MAX_BYTES"),
        maxDepth: integer(env, "ORION_SCHEMA_MAX_DEPTH"),
        maxNodes: integer(env, "ORION_SCHEMA_MAX_NODES"),
      },
      timeoutMs: integer(env, "ORION_SCHEMA_TIMEOUT_MS"),
      cacheBytes: integer(env, "ORION_SCHEMA_CACHE_BYTES"),
    },
    metricsToken: text(env, "ORION_METRICS_TOKEN"),
    corsOrigins: list(env, "ORION_CORS_ORIGINS"),
    search: searchUrl
      ? { url: searchUrl, apiKey: text(env, "ORION_SEARCH_API_KEY"), timeoutMs: providerTimeoutMs }
      : undefined,
    webDir:
      choice(env, "ORION_PLAYGROUND") === "off" ? undefined : (text(env, "ORION_WEB_DIR") ?? defaultWebDir()),
    logLevel: choice(env, "ORION_LOG_LEVEL"),
    toolIdleMs: integer(env, "ORION_TOOL_IDLE_MS"),
    pdfMaxPages: integer(env, "ORION_PDF_MAX_PAGES"),
    workers: integer(env, "ORION_WORKERS"),
    shutdownTimeoutMs: integer(env, "ORION_SHUTDOWN_TIMEOUT_MS"),
    videoBinaries: {
      ffmpeg: text(env, "ORION_FFMPEG") as string,
      ffprobe: text(env, "ORION_FFPROBE") as string,
    },
    upstreams,
    upstreamTimeoutMs: integer(env, "ORION_LLM_TIMEOUT_MS"),
    upstreamMaxSockets: integer(env, "ORION_LLM_MAX_SOCKETS"),
    streams: {
      bufferBytes: integer(env, "ORION_STREAM_BUFFER_BYTES"),
      stallTimeoutMs: integer(env, "ORION_STREAM_STALL_TIMEOUT_MS"),
    },
    upstreamVision: choice(env, "ORION_LLM_VISION") === "true",
    providers: providers(env, providerTimeoutMs),
    defaults: loadDefaults(dir),
    skillsDir: text(env, "ORION_SKILLS_DIR"),
    mcpServers: mcpServers(env, "ORION_MCP_SERVERS"),
    fetch: {
      allowPrivate: choice(env, "ORION_ALLOW_PRIVATE_URLS") === "true",
      allowHosts: list(env, "ORION_URL_ALLOW_HOSTS"),
      maxBytes: integer(env, "ORION_FETCH_MAX_BYTES"),
      timeoutMs: integer(env, "ORION_FETCH_TIMEOUT_MS"),
      maxRedirects: 5,
    },
    media: {
      perKind: {
        image: integer(env, "ORION_MEDIA_MAX_IMAGE_BYTES"),
        video: integer(env, "ORION_MEDIA_MAX_VIDEO_BYTES"),
        audio: integer(env, "ORION_MEDIA_MAX_AUDIO_BYTES"),
        document: integer(env, "ORION_MEDIA_MAX_DOCUMENT_BYTES"),
      },
      total: integer(env, "ORION_MEDIA_MAX_TOTAL_BYTES"),
    },
    store: {
      redisUrl: redisUrl(env, "REDIS_URL"),
      clusterNodes: hostPorts(env, "REDIS_CLUSTER_NODES"),
      prefix: text(env, "ORION_REDIS_PREFIX") as string,
      commandTimeoutMs: integer(env, "ORION_STORE_TIMEOUT_MS"),
      dataDir: dataDir(env, dir),
      embedded: {
        maxSessions: integer(env, "ORION_EMBEDDED_MAX_SESSIONS"),
        maxSessionBytes: integer(env, "ORION_EMBEDDED_MAX_SESSION_BYTES"),
        maxRecordBytes: integer(env, "ORION_EMBEDDED_MAX_RECORD_BYTES"),
        maxArtifactBytes: integer(env, "ORION_EMBEDDED_MAX_ARTIFACT_BYTES"),
      },
    },
    toolQueue: {
      mode: choice(env, "ORION_TOOL_QUEUE"),
      prefix: text(env, "ORION_TOOL_QUEUE_PREFIX") as string,
      attempts: integer(env, "ORION_TOOL_ATTEMPTS"),
      lockMs: integer(env, "ORION_WORKER_LOCK_MS"),
      workerToolsets: toolsets(env, "ORION_WORKER_TOOLSETS"),
      workerConcurrency: integer(env, "ORION_WORKER_CONCURRENCY"),
    },
    identity: {
      apiKeys: apiKeys(env, "ORION_API_KEYS"),
      jwtSecret: text(env, "ORION_JWT_SECRET"),
      jwtJwksUrl: httpUrl(env, "ORION_JWT_JWKS_URL"),
      jwtIssuer: text(env, "ORION_JWT_ISSUER"),
      jwtAudience: text(env, "ORION_JWT_AUDIENCE"),
      trustProxy: choice(env, "ORION_TRUST_PROXY") === "true",
      guestSecret: text(env, "ORION_GUEST_SECRET"),
      jwtMaxAgeSeconds: integer(env, "ORION_JWT_MAX_AGE_SECONDS"),
    },
    quota: {
      guestDailyLimit: integer(env, "ORION_GUEST_DAILY_LIMIT"),
      guestIpDailyLimit: integer(env, "ORION_GUEST_IP_DAILY_LIMIT"),
      failureMode: choice(env, "ORION_QUOTA_FAILURE_MODE"),
    },
    sessions: {
      ttlMs: integer(env, "ORION_SESSION_TTL_SECONDS") * 1000,
      maxMessages: integer(env, "ORION_SESSION_MAX_MESSAGES"),
      maxBytes: integer(env, "ORION_SESSION_MAX_BYTES"),
      artifactMaxBytes: integer(env, "ORION_ARTIFACT_MAX_BYTES"),
    },
    files: {
      maxBytes: integer(env, "ORION_FILE_MAX_BYTES"),
      maxBytesPerOwner: integer(env, "ORION_FILES_MAX_BYTES_PER_OWNER"),
      ttlMs: integer(env, "ORION_FILE_TTL_DAYS") * 86_400_000,
    },
    executions: {
      ttlMs: integer(env, "ORION_EXECUTION_TTL_DAYS") * 86_400_000,
      maxEvents: integer(env, "ORION_EXECUTION_MAX_EVENTS"),
      maxInputs: integer(env, "ORION_EXECUTION_MAX_INPUTS"),
      concurrency: integer(env, "ORION_EXECUTION_CONCURRENCY"),
      attempts: integer(env, "ORION_EXECUTION_ATTEMPTS"),
      lockMs: integer(env, "ORION_EXECUTION_LOCK_MS"),
      webhookSecret: webhookSecret(env, "ORION_WEBHOOK_SECRET"),
      webhookTimeoutMs: integer(env, "ORION_WEBHOOK_TIMEOUT_MS"),
      webhookRetryBaseMs: integer(env, "ORION_WEBHOOK_RETRY_BASE_MS"),
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

/** The folder `npm run build` writes the playground to: `<package root>/dist/web`. */
export function defaultWebDir(): string {
  return path.join(packageRoot, "dist", "web");
}

/** ORION_DATA_DIR resolved against the working directory; `:memory:` kept as it is. */
function dataDir(env: Env, cwd: string): string {
  const given = rawText(env, "ORION_DATA_DIR") ?? SETTINGS.ORION_DATA_DIR.default;
  return given === IN_MEMORY ? IN_MEMORY : path.resolve(cwd, given);
}

function providers(env: Env, timeoutMs: number): Map<Model, ProviderConfig> {
  const providers = new Map<Model, ProviderConfig>();
  for (const model of wireNames.model.values) {
    const stem = providerEnvStem(wireNames.model.toWire(model) ?? "");
    const urlSetting = providerSettingName("ORION_MODEL_<NAME>_URL", stem);
    providers.set(model, {
      url: httpUrl(env, urlSetting),
      apiKey: text(
        env,
        providerSettingName("ORION_MODEL_<NAME>_API_KEY", stem),
        SETTINGS["ORION_MODEL_<NAME>_API_KEY"],
      ),
      model: text(
        env,
        providerSettingName("ORION_MODEL_<NAME>_MODEL", stem),
        SETTINGS["ORION_MODEL_<NAME>_MODEL"],
      ),
      timeoutMs,
      jobTimeoutMs: integer(env, "ORION_PROVIDER_JOB_TIMEOUT_MS"),
      urlSetting,
    });
  }
  return providers;
}

/** The per-variant name of a setting read per variant: ORION_LLM_MODEL, "pro" → ORION_LLM_MODEL_PRO. */
const forVariant = (name: string, variant: Variant) => `${name}_${variant.toUpperCase()}`;

function upstreamFor(env: Env, variant: Variant): UpstreamConfig | undefined {
  const baseUrl =
    httpUrl(env, forVariant("ORION_LLM_BASE_URL", variant)) ?? httpUrl(env, "ORION_LLM_BASE_URL");
  if (baseUrl === undefined) return undefined;
  const modelSetting = forVariant("ORION_LLM_MODEL", variant);
  const model = rawText(env, modelSetting) ?? rawText(env, "ORION_LLM_MODEL");
  if (model === undefined) {
    throw new ConfigError(
      `ORION_LLM_MODEL (or ${modelSetting}) must name the upstream model when ORION_LLM_BASE_URL is set`,
    );
  }
  const apiKey = rawText(env, forVariant("ORION_LLM_API_KEY", variant)) ?? rawText(env, "ORION_LLM_API_KEY");
  return { baseUrl, apiKey, model, ...llmTools(env, variant) };
}

/** ORION_LLM_TOOLS_<V>, else ORION_LLM_TOOLS: checked whether or not an upstream is configured. */
function llmTools(env: Env, variant: Variant): Pick<UpstreamConfig, "tools" | "toolsSetting"> {
  const own = forVariant("ORION_LLM_TOOLS", variant);
  const toolsSetting = rawText(env, own) ? own : "ORION_LLM_TOOLS";
  return { tools: choice(env, toolsSetting, SETTINGS.ORION_LLM_TOOLS) === "on", toolsSetting };
}

const LLM_SETTINGS = (Object.entries(SETTINGS) as [string, Setting][]).filter(([name]) =>
  name.startsWith("ORION_LLM_"),
);
/** The ORION_LLM_* settings that take a per-variant suffix (`_LITE`, `_FAST`, `_AUTO`, `_PRO`). */
const PER_VARIANT_LLM_SETTINGS = LLM_SETTINGS.filter(([, s]) => "perVariant" in s).map(([name]) => name);
/** The ORION_LLM_* settings shared by every variant. */
const SHARED_LLM_SETTINGS = LLM_SETTINGS.filter(([, s]) => !("perVariant" in s)).map(([name]) => name);

/**
 * Every ORION_LLM_* variable must be one this server reads: a misspelt variant suffix
 * (ORION_LLM_MODEL_TURBO) would otherwise leave that variant on the shared value, silently.
 */
function checkLlmVariables(env: Env): void {
  const suffixes = VARIANTS.map((v) => v.toUpperCase());
  for (const name of Object.keys(env)) {
    if (!name.startsWith("ORION_LLM_") || env[name] === undefined) continue;
    if (SHARED_LLM_SETTINGS.includes(name)) continue;
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
