import type { AgentModel, Model, Toolset } from "../../gen/vlmrun/agent/v1/enums_pb.js";

// The shapes loadConfig returns. Every shape config parses is defined here, so config depends on
// no feature module (beyond the leaf vocabularies it checks values against).

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
  /**
   * A connection with bytes waiting to be written that the client has taken none of for this long
   * is closed (ORION_STREAM_STALL_TIMEOUT_MS): a client that never reads cannot pin a reply.
   */
  writeStallMs: number;
  /** Streams open at once on one HTTP/2 connection (advertised in SETTINGS); more are refused. */
  h2MaxConcurrentStreams: number;
  /**
   * How long a connection the server has ended (408, 400, GOAWAY, idle) may linger for its last
   * bytes to leave before its socket is destroyed, whether or not the client reads or closes.
   */
  closeGraceMs: number;
}

/** Caps on a caller's JSON Schema, checked before anything compiles it. */
export interface SchemaLimits {
  /** The schema as JSON text, in bytes. */
  maxBytes: number;
  /** Nesting of objects and arrays. */
  maxDepth: number;
  /** Objects and arrays in all (each property, subschema and list counts). */
  maxNodes: number;
}

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

/** The ffmpeg and ffprobe the video tools run. */
export interface VideoBinaries {
  ffmpeg: string;
  ffprobe: string;
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

/** Guest chats per day and what happens when the store cannot count them. */
export interface QuotaConfig {
  guestDailyLimit: number;
  /** Guest chats a day from one address, whatever the browser id (0 = no such backstop). */
  guestIpDailyLimit: number;
  failureMode: QuotaFailureMode;
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

/** Durable agent executions (POST /v1/agent/execute) and their webhooks. */
export interface ExecutionConfig {
  /** Kept this long after submission, with their event logs (ORION_EXECUTION_TTL_DAYS). */
  ttlMs: number;
  /** Most events one execution's log keeps (the final event always has room). */
  maxEvents: number;
  /** Most named inputs one execution may have (413 past it). */
  maxInputs: number;
  /** Executions one server process runs at once. */
  concurrency: number;
  /** Runs of an execution whose process keeps dying before it ends failed. */
  attempts: number;
  /** The hold of a process on a running execution; one silent this long is taken for dead. */
  lockMs: number;
  /** `whsec_<base64>` (ORION_WEBHOOK_SECRET): signs webhooks; without it `callback_url` is refused. */
  webhookSecret: Uint8Array | undefined;
  /** A delivery's deadline (a receiver that hangs is retried). */
  webhookTimeoutMs: number;
  /** The first retry's delay; later ones grow to about an hour in all (×1, 6, 24, 60, 180, 360). */
  webhookRetryBaseMs: number;
}

/** How long conversations (and the artifacts made in them) are kept, and how much of them. */
export interface SessionConfig {
  ttlMs: number;
  maxMessages: number;
  /** Oldest messages are dropped while a session's stored messages add up to more bytes than this. */
  maxBytes: number;
  artifactMaxBytes: number;
}

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
  /** The binaries the video tools run (ORION_FFMPEG, ORION_FFPROBE). */
  videoBinaries: VideoBinaries;
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
  /** Outside MCP servers whose tools the agent may use (ORION_MCP_SERVERS). */
  mcpServers: McpServerConfig[];
  store: StoreConfig;
  toolQueue: ToolQueueConfig;
  identity: IdentityConfig;
  quota: QuotaConfig;
  sessions: SessionConfig;
  executions: ExecutionConfig;
  files: FilesConfig;
}

export class ConfigError extends Error {}

/** An outside MCP server whose tools join the agent's (ORION_MCP_SERVERS). */
export interface McpServerConfig {
  /** Its toolset is "mcp:<name>"; its tools are named "<name>__<tool>". */
  name: string;
  /** Its Streamable HTTP endpoint. */
  url: string;
  /** Sent with every request (its auth). */
  headers: Record<string, string>;
  /** How long one of its tool calls may run (the tool timeout). */
  timeoutMs: number;
}
