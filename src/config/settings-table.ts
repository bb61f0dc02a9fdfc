import { availableParallelism } from "node:os";

/**
 * Every setting the server reads, in one table: its kind, default, range and a line of what it
 * does. `loadConfig` (load.ts) reads each through the reader of its kind (parse.ts), which words
 * the start-up error from this entry; the README's settings table is generated from it
 * (`npm run docs:settings`; test/unit/settings-table.test.ts fails when the two differ).
 *
 * A name with `<V>` stands for each agent variant's suffix, one with `<NAME>` for each tool
 * provider's (see `providerSettingName`); the README lists the pattern once.
 */
export type Setting =
  | IntegerSetting
  | {
      kind: "choice";
      values: readonly string[];
      default: string;
      /** Also read with each variant's suffix (`_LITE`, `_FAST`, `_AUTO`, `_PRO`), which wins. */
      perVariant?: true;
      doc: string;
    }
  | { kind: "text"; default?: string; perVariant?: true; doc: string; defaultText?: string }
  | { kind: "secret"; perVariant?: true; doc: string }
  | { kind: "http-url"; perVariant?: true; doc: string }
  | { kind: "redis-url"; doc: string }
  | { kind: "host"; default: string; doc: string }
  | { kind: "host-ports"; doc: string }
  | { kind: "list"; default: string; doc: string }
  | { kind: "path"; default: string; defaultText: string; doc: string }
  | { kind: "toolsets"; default: string; doc: string }
  | { kind: "api-keys"; doc: string }
  | { kind: "mcp-servers"; doc: string };

export interface IntegerSetting {
  kind: "integer";
  default: number | (() => number);
  min: number;
  max: number;
  /** The word also taken: "auto" → one per core. */
  auto?: () => number;
  /** Another integer setting this one may not exceed; unset, the default is lowered to it. */
  atMost?: string;
  defaultText?: string;
  doc: string;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const DAY_MS = 86_400_000;
const ON_OFF = ["on", "off"] as const;
const BOOLEAN = ["true", "false"] as const;

export const SETTINGS = {
  HOST: {
    kind: "host",
    default: "127.0.0.1",
    doc: "address to bind; set `0.0.0.0` to accept remote callers",
  },
  PORT: {
    kind: "integer",
    default: 8080,
    min: 0,
    max: 65535,
    doc: "the one port for every protocol (`0` picks a free one)",
  },
  ORION_LLM_BASE_URL: {
    kind: "http-url",
    perVariant: true,
    doc: "OpenAI-compatible upstream, e.g. `http://vllm:8000/v1` (any `ORION_LLM_…` variable not in this table, such as `ORION_LLM_MODEL_TURBO`, stops the server with one line naming it and the valid suffixes)",
  },
  ORION_LLM_MODEL: {
    kind: "text",
    perVariant: true,
    doc: "the upstream model name (required with a base URL)",
  },
  ORION_LLM_API_KEY: {
    kind: "secret",
    perVariant: true,
    doc: "sent upstream as `Authorization: Bearer …`",
  },
  ORION_LLM_TOOLS: {
    kind: "choice",
    values: ON_OFF,
    default: "on",
    perVariant: true,
    doc: "checked even with no upstream set; `off`: the upstream cannot call tools; requests that need server tools are refused with a `400` naming the setting",
  },
  ORION_LLM_TIMEOUT_MS: {
    kind: "integer",
    default: 120_000,
    min: 100,
    max: 3_600_000,
    doc: "longest wait for upstream headers, and between two streamed bytes",
  },
  ORION_LLM_MAX_SOCKETS: {
    kind: "integer",
    default: 256,
    min: 1,
    max: 65_536,
    doc: "pooled keep-alive connections per upstream",
  },
  ORION_LLM_VISION: {
    kind: "choice",
    values: BOOLEAN,
    default: "true",
    doc: "the upstream reads image parts: images the tools make are shown to it",
  },
  "ORION_MODEL_<NAME>_URL": {
    kind: "http-url",
    doc: "a tool provider's endpoint, e.g. `ORION_MODEL_META_SAM3_URL` ([docs/providers.md](docs/providers.md))",
  },
  "ORION_MODEL_<NAME>_API_KEY": { kind: "secret", doc: "the key sent to that provider" },
  "ORION_MODEL_<NAME>_MODEL": {
    kind: "text",
    defaultText: "the provider id",
    doc: "the model name sent to an OpenAI-protocol provider (vLLM's served name)",
  },
  ORION_PROVIDER_TIMEOUT_MS: {
    kind: "integer",
    default: 60_000,
    min: 100,
    max: 3_600_000,
    doc: "one provider call (and one `web_search` call)",
  },
  ORION_PROVIDER_JOB_TIMEOUT_MS: {
    kind: "integer",
    default: 600_000,
    min: 100,
    max: DAY_MS,
    doc: "a whole generation job with its polling",
  },
  ORION_SEARCH_URL: {
    kind: "http-url",
    doc: "a SearXNG-compatible search endpoint for `web_search`; unset → the tool is not offered",
  },
  ORION_SEARCH_API_KEY: { kind: "secret", doc: "the key sent to that endpoint" },
  ORION_WORKERS: {
    kind: "integer",
    default: 1,
    min: 1,
    max: 256,
    auto: availableParallelism,
    doc: "server processes sharing the port (node:cluster), or `auto` for one per core; more than one shares the store: Redis, or the data directory's file on one machine (quota and sessions stay exact); not with `ORION_DATA_DIR=:memory:`; a worker that dies is replaced",
  },
  ORION_TOOL_QUEUE: {
    kind: "choice",
    values: ["off", "redis"],
    default: "off",
    doc: "`redis`: heavy tools (OCR, layout, PDF render, detection, segmentation, video, charts) run as jobs on `orion worker` processes ([scaling out](#scaling-out-tool-workers)); needs `REDIS_URL` or `REDIS_CLUSTER_NODES`",
  },
  ORION_TOOL_QUEUE_PREFIX: {
    kind: "text",
    default: "orion-tools",
    doc: "BullMQ key prefix of the tool queues (wrapped in a `{hash tag}` on Redis Cluster)",
  },
  ORION_TOOL_ATTEMPTS: {
    kind: "integer",
    default: 3,
    min: 1,
    max: 20,
    doc: "runs of a tool job whose worker crashed or stalled before it ends as a tool error the model reads",
  },
  ORION_WORKER_TOOLSETS: {
    kind: "toolsets",
    default: "document,image,video,viz",
    doc: "what an `orion worker` takes (toolsets with heavy tools, comma-separated)",
  },
  ORION_WORKER_CONCURRENCY: {
    kind: "integer",
    default: availableParallelism,
    defaultText: "the core count",
    min: 1,
    max: 1_000,
    doc: "jobs an `orion worker` runs at once, per toolset",
  },
  ORION_WORKER_LOCK_MS: {
    kind: "integer",
    default: 30_000,
    min: 500,
    max: 600_000,
    doc: "a worker renews its lock on a running job; one silent this long is taken for dead and its job goes to another worker",
  },
  ORION_TOOL_IDLE_MS: {
    kind: "integer",
    default: 300_000,
    min: 1_000,
    max: DAY_MS,
    doc: "a tool's worker threads (OCR, detection, PDF, charts) and the models they hold are released after this long without a job; the next call warms them again",
  },
  ORION_PDF_MAX_PAGES: {
    kind: "integer",
    // About 100 dense pages already fill pdf_text's 200,000-character answer, and pdfjs reads
    // them in a second or two, far inside the 60 s tool timeout.
    default: 100,
    min: 1,
    max: 100_000,
    doc: "most pages `pdf_text` reads in one call (about what fills its 200,000-character answer); past it the answer says how many of how many were read and the arguments that read on (`first_page`, or the rest of `pages`). Set it on `orion worker` processes too",
  },
  ORION_FFMPEG: {
    kind: "text",
    default: "ffmpeg",
    doc: "the ffmpeg binary the video tools run (checked once at start; missing → the video tools are listed unavailable)",
  },
  ORION_FFPROBE: {
    kind: "text",
    default: "ffprobe",
    doc: "the ffprobe binary, checked alike",
  },
  REDIS_URL: {
    kind: "redis-url",
    doc: "the shared store (quota, sessions, keys, idempotency), e.g. `redis://redis:6379`; unset → the durable embedded store in `ORION_DATA_DIR`",
  },
  ORION_DATA_DIR: {
    kind: "path",
    default: "data",
    defaultText: "`data` (in the working directory)",
    doc: "without Redis: where the embedded store keeps its file (`orion.db`, with SQLite's `-wal` and `-shm` beside it); created if missing, one that cannot be written stops the start naming this setting. `:memory:` keeps everything in the process instead and loses it at exit (one process only)",
  },
  REDIS_CLUSTER_NODES: {
    kind: "host-ports",
    doc: "comma-separated `host:port` seeds of a Redis Cluster (wins over `REDIS_URL`)",
  },
  ORION_REDIS_PREFIX: {
    kind: "text",
    default: "orion:",
    doc: "prefix of every key, so deployments can share a Redis",
  },
  ORION_EMBEDDED_MAX_SESSIONS: {
    kind: "integer",
    default: 50_000,
    min: 100,
    max: 10_000_000,
    doc: "without Redis: most sessions the embedded store keeps (every chat without a `session_id` starts one); the least recently written go first",
  },
  ORION_EMBEDDED_MAX_SESSION_BYTES: {
    kind: "integer",
    default: 256 * MiB,
    min: MiB,
    max: 64 * GiB,
    doc: "without Redis (on disk or `:memory:`): most bytes of session messages the embedded store keeps, over all sessions; the least recently written sessions go first. `orion_embedded_store_bytes{kind}` on `/metrics` shows what the `:memory:` store holds",
  },
  ORION_EMBEDDED_MAX_RECORD_BYTES: {
    kind: "integer",
    default: 64 * MiB,
    min: MiB,
    max: 64 * GiB,
    doc: "with `ORION_DATA_DIR=:memory:`: most bytes of idempotency records (stored replies) kept; the oldest go first (a retry past that runs again)",
  },
  ORION_EMBEDDED_MAX_ARTIFACT_BYTES: {
    kind: "integer",
    default: 512 * MiB,
    min: MiB,
    max: 64 * GiB,
    doc: "without Redis: most artifact bytes the embedded store keeps; the least recently written sessions' artifacts go first",
  },
  ORION_STORE_TIMEOUT_MS: {
    kind: "integer",
    default: 250,
    min: 5,
    max: 60_000,
    doc: "longest wait for one store command (a dead Redis fails at once; this bounds a hung one); on the durable embedded store, the longest a write waits for another process's write lock (on a timer: the server keeps answering meanwhile), then 503",
  },
  ORION_API_KEYS: {
    kind: "api-keys",
    doc: "`key=user[:plan]`, comma-separated; plan `starter` (10 req/min), `pro` (100), `enterprise` (no limit, the default)",
  },
  ORION_JWT_SECRET: {
    kind: "secret",
    doc: "accept signed-in users' JWTs signed with this HS256 secret; `exp` required, `exp`/`nbf` enforced, `sub` is the user id",
  },
  ORION_JWT_JWKS_URL: {
    kind: "http-url",
    doc: "accept signed-in users' JWTs signed with keys from this JWKS URL (same claims)",
  },
  ORION_JWT_ISSUER: { kind: "text", doc: "also require this `iss` claim" },
  ORION_JWT_AUDIENCE: { kind: "text", doc: "also require this `aud` claim" },
  ORION_JWT_MAX_AGE_SECONDS: {
    kind: "integer",
    // A day: the longest default access-token lifetime of the common identity providers (Auth0's).
    default: 86_400,
    defaultText: "`86400` (a day)",
    min: 0,
    max: 365 * 86_400,
    doc: "refuse a JWT whose `exp` is further than this from now, or whose `iat` (when it has one) is older; so no token, not even `exp: 1e308`, stays usable longer. A day admits the common identity providers' default access tokens (Auth0's is 24 h; Okta, Cognito, Firebase, Entra ID issue 1 h); `0` checks only `exp`",
  },
  ORION_GUEST_DAILY_LIMIT: {
    kind: "integer",
    default: 10,
    min: 0,
    max: 1_000_000_000,
    doc: "chats per UTC day per guest browser id",
  },
  ORION_GUEST_IP_DAILY_LIMIT: {
    kind: "integer",
    default: 0,
    defaultText: "`0` (off)",
    min: 0,
    max: 1_000_000_000,
    doc: "a backstop: guest chats per UTC day from one address, whatever the browser id (the address honours `ORION_TRUST_PROXY`); counted in the same store call as the browser quota",
  },
  ORION_GUEST_SECRET: {
    kind: "secret",
    doc: "keys the guest ids the server derives (IP + User-Agent); unset → a random secret kept in the store, shared by every instance",
  },
  ORION_QUOTA_FAILURE_MODE: {
    kind: "choice",
    values: ["closed", "open"],
    default: "closed",
    doc: "guests when the store is down: `closed` → 503, `open` → allowed (counted in `orion_quota_decisions_total`)",
  },
  ORION_SESSION_TTL_SECONDS: {
    kind: "integer",
    default: 7 * 86_400,
    defaultText: "`604800` (a week)",
    min: 1,
    max: 365 * 86_400,
    doc: "a session is forgotten this long after its last turn",
  },
  ORION_SESSION_MAX_MESSAGES: {
    kind: "integer",
    default: 200,
    min: 2,
    max: 100_000,
    doc: "the newest messages a session keeps",
  },
  ORION_SESSION_MAX_BYTES: {
    kind: "integer",
    default: 32 * MiB,
    min: 64 * KiB,
    max: GiB,
    doc: "the oldest messages of a session are dropped while its stored messages (as UTF-8 JSON, images' data URLs included) add up to more than this; on Redis too",
  },
  ORION_TRUST_PROXY: {
    kind: "choice",
    values: BOOLEAN,
    default: "false",
    doc: "`true`: take a guest's IP from `X-Forwarded-For` (only behind a proxy you trust)",
  },
  ORION_SKILLS_DIR: {
    kind: "text",
    doc: "a folder of skill bundles (`SKILL.md`, optional `vlmrun.yaml`, `schema.json`)",
  },
  ORION_FILE_MAX_BYTES: {
    kind: "integer",
    default: 256 * MiB,
    min: KiB,
    max: 64 * GiB,
    doc: "largest uploaded file, direct or presigned (413 naming it, the rest of the body read and dropped)",
  },
  ORION_FILES_MAX_BYTES_PER_OWNER: {
    kind: "integer",
    default: GiB,
    min: KiB,
    max: 1024 * GiB,
    doc: "most bytes of live files one caller keeps (the same content is counted once); past it an upload is a 413 `files_quota_exceeded`",
  },
  ORION_FILE_TTL_DAYS: {
    kind: "integer",
    default: 30,
    min: 1,
    max: 3650,
    doc: "a file is deleted this long after its upload",
  },
  ORION_EXECUTION_TTL_DAYS: {
    kind: "integer",
    default: 7,
    min: 1,
    max: 3650,
    doc: "an execution (`POST /v1/agent/execute`) and its event log are kept this long after submission",
  },
  ORION_EXECUTION_MAX_EVENTS: {
    kind: "integer",
    default: 10_000,
    min: 10,
    max: 1_000_000,
    doc: "most events one execution's log keeps; later tool and text events are dropped, the final event always has room",
  },
  ORION_EXECUTION_MAX_INPUTS: {
    kind: "integer",
    default: 32,
    min: 1,
    max: 1_000,
    doc: "most named `inputs` of one execution (`413` past it)",
  },
  ORION_EXECUTION_CONCURRENCY: {
    kind: "integer",
    default: 4,
    min: 1,
    max: 1_000,
    doc: "executions one server process runs at once (the rest wait, pending)",
  },
  ORION_EXECUTION_ATTEMPTS: {
    kind: "integer",
    default: 3,
    min: 1,
    max: 20,
    doc: "runs of an execution whose process died before it ends `failed` with the reason",
  },
  ORION_EXECUTION_LOCK_MS: {
    kind: "integer",
    default: 30_000,
    min: 500,
    max: 600_000,
    doc: "a process holds a running execution by renewing a lock (BullMQ's on Redis, a lease in the embedded store); one silent this long is taken for dead and the run resumes elsewhere (or after the restart)",
  },
  ORION_WEBHOOK_SECRET: {
    kind: "secret",
    doc: "`whsec_<base64 of 24+ bytes>`: signs `callback_url` deliveries (Standard Webhooks); unset → a `callback_url` is refused (`422`)",
  },
  ORION_WEBHOOK_TIMEOUT_MS: {
    kind: "integer",
    default: 10_000,
    min: 100,
    max: 120_000,
    doc: "one delivery's deadline; a receiver that hangs is retried",
  },
  ORION_WEBHOOK_RETRY_BASE_MS: {
    kind: "integer",
    default: 5_000,
    min: 10,
    max: 600_000,
    doc: "first retry's delay; then ×6, ×24, ×60, ×180, ×360 (about 53 minutes in all, 7 attempts, the same `webhook-id` each time)",
  },
  ORION_MCP_SERVERS: {
    kind: "mcp-servers",
    doc: "outside MCP servers whose tools the agent may use ([MCP](#mcp-claude-desktop-cursor-the-inspector)): `name`: `a-z`, `0-9`, `-`, up to 32; `url`: the server's Streamable HTTP endpoint; `headers`: sent with every request, e.g. its `Authorization`; `timeout_ms`: one tool call, default `60000`; checked at start, one line per problem. The URL guard applies: a server on a private address needs `ORION_URL_ALLOW_HOSTS` or `ORION_ALLOW_PRIVATE_URLS`",
  },
  ORION_ARTIFACT_MAX_BYTES: {
    kind: "integer",
    default: 64 * MiB,
    min: KiB,
    max: GiB,
    doc: "largest stored artifact; artifacts live as long as their session",
  },
  ORION_ALLOW_PRIVATE_URLS: {
    kind: "choice",
    values: BOOLEAN,
    default: "false",
    doc: "let remote URLs reach loopback, private, link-local, CGNAT and metadata addresses (off: refused after DNS resolution)",
  },
  ORION_URL_ALLOW_HOSTS: {
    kind: "list",
    default: "",
    doc: "comma-separated `host` or `host:port` allowed despite that",
  },
  ORION_FETCH_MAX_BYTES: {
    kind: "integer",
    default: 32 * MiB,
    min: KiB,
    max: GiB,
    doc: "largest remote fetch (its streamed size)",
  },
  ORION_FETCH_TIMEOUT_MS: {
    kind: "integer",
    default: 15_000,
    min: 100,
    max: 600_000,
    doc: "longest remote fetch (the whole of it)",
  },
  ORION_MEDIA_MAX_IMAGE_BYTES: {
    kind: "integer",
    default: 20 * MiB,
    min: KiB,
    max: GiB,
    doc: "largest attached image",
  },
  ORION_MEDIA_MAX_VIDEO_BYTES: {
    kind: "integer",
    default: 256 * MiB,
    min: KiB,
    max: 4 * GiB,
    doc: "largest attached video",
  },
  ORION_MEDIA_MAX_AUDIO_BYTES: {
    kind: "integer",
    default: 64 * MiB,
    min: KiB,
    max: GiB,
    doc: "largest attached audio",
  },
  ORION_MEDIA_MAX_DOCUMENT_BYTES: {
    kind: "integer",
    default: 64 * MiB,
    min: KiB,
    max: GiB,
    doc: "largest attached document",
  },
  ORION_MEDIA_MAX_TOTAL_BYTES: {
    kind: "integer",
    default: 512 * MiB,
    min: KiB,
    max: 16 * GiB,
    doc: "most attached media in one request, all kinds together",
  },
  ORION_MAX_BODY_BYTES: {
    kind: "integer",
    default: 32 * MiB,
    min: KiB,
    max: GiB,
    doc: "largest request body of a signed-in caller (API key or JWT) on REST (413) and RPC (`RESOURCE_EXHAUSTED`)",
  },
  ORION_GUEST_MAX_BODY_BYTES: {
    kind: "integer",
    default: 8 * MiB,
    min: KiB,
    max: GiB,
    atMost: "ORION_MAX_BODY_BYTES",
    doc: "largest request body of a guest (a request with no `Authorization`); at most `ORION_MAX_BODY_BYTES`. The 413 names the setting",
  },
  ORION_MAX_TEXT_BYTES: {
    kind: "integer",
    default: 4 * MiB,
    min: KiB,
    max: GiB,
    doc: "longest text a signed-in caller may send in one place (a message's `content`, a text part, a tool call's `arguments`), in UTF-8 bytes: a `422` at that field names the cap, before anything is charged or stored",
  },
  ORION_GUEST_MAX_TEXT_BYTES: {
    kind: "integer",
    default: 64 * KiB,
    min: KiB,
    max: GiB,
    atMost: "ORION_MAX_TEXT_BYTES",
    doc: "the same for a guest; at most `ORION_MAX_TEXT_BYTES`",
  },
  ORION_SNIFF_TIMEOUT_MS: {
    kind: "integer",
    default: 5_000,
    min: 100,
    max: 60_000,
    doc: "a new connection must send its first bytes (which pick HTTP/1.1 or h2c) within this",
  },
  ORION_HEADERS_TIMEOUT_MS: {
    kind: "integer",
    default: 30_000,
    min: 100,
    // Node's own default (60 s) is the ceiling: headers that take longer are an attack.
    max: 60_000,
    doc: "an HTTP/1 request's headers must be complete within this (`408`); an h2c connection must open its first stream within it",
  },
  ORION_REQUEST_TIMEOUT_MS: {
    kind: "integer",
    default: 120_000,
    min: 100,
    max: 3_600_000,
    doc: "a whole request, body included, must arrive within this (HTTP/1 `408`, an h2c stream is reset); responses, streams included, are not cut",
  },
  ORION_IDLE_TIMEOUT_MS: {
    kind: "integer",
    default: 65_000,
    min: 100,
    max: 3_600_000,
    doc: "an idle keep-alive connection, or an h2c connection with no open stream, is closed after this",
  },
  ORION_STREAM_BUFFER_BYTES: {
    kind: "integer",
    default: 256 * KiB,
    min: KiB,
    max: 64 * MiB,
    doc: "a streamed reply's upstream is paused once this much of it waits for a client that is not reading (the kernel's socket buffers hold a few MiB more on each hop)",
  },
  ORION_STREAM_STALL_TIMEOUT_MS: {
    kind: "integer",
    default: 30_000,
    min: 100,
    max: 3_600_000,
    doc: 'a reply (a stream, a file download, any response or RPC message, on any surface; on HTTP/2 when the connection as a whole takes nothing) whose client takes nothing of it for this long is cut (a stream\'s upstream call with it; streams are counted in `orion_streams_stalled_total`, other connections in `orion_connections_closed_total{reason="write_stall"}`)',
  },
  ORION_MAX_CONNECTIONS: {
    kind: "integer",
    default: 10_000,
    min: 1,
    max: 1_000_000,
    doc: "open connections at most; more are closed on arrival and counted in `orion_connections_refused_total`",
  },
  ORION_H2_MAX_CONCURRENT_STREAMS: {
    kind: "integer",
    default: 100,
    min: 1,
    max: 10_000,
    doc: "streams open at once on one h2c connection (advertised in its SETTINGS); more are refused with `REFUSED_STREAM`",
  },
  ORION_CLOSE_GRACE_MS: {
    kind: "integer",
    default: 1_000,
    min: 0,
    max: 60_000,
    doc: "after the server ends a connection (`408`, `400`, GOAWAY, idle) its socket is destroyed this long later, whether or not the client reads or closes",
  },
  ORION_SCHEMA_MAX_BYTES: {
    kind: "integer",
    default: 64 * KiB,
    min: 64,
    max: 16 * MiB,
    doc: "largest `response_format` schema as JSON text, checked before it is compiled (`422`)",
  },
  ORION_SCHEMA_MAX_DEPTH: {
    kind: "integer",
    default: 32,
    min: 2,
    max: 1_000,
    doc: "deepest nesting of objects and arrays in such a schema",
  },
  ORION_SCHEMA_MAX_NODES: {
    kind: "integer",
    default: 2_000,
    min: 1,
    max: 1_000_000,
    doc: "most objects and arrays in such a schema (each property, subschema and list counts)",
  },
  ORION_SCHEMA_TIMEOUT_MS: {
    kind: "integer",
    default: 2_000,
    min: 10,
    max: 600_000,
    doc: "longest a schema compile, or a check of an answer against it, may run (off the event loop); past it the request is a `422`",
  },
  ORION_SCHEMA_CACHE_BYTES: {
    kind: "integer",
    default: 8 * MiB,
    min: 0,
    max: GiB,
    doc: "compiled schemas kept, measured by their JSON size (least recently used go first)",
  },
  ORION_METRICS_TOKEN: {
    kind: "secret",
    doc: "`/metrics` then needs `Authorization: Bearer <token>`",
  },
  ORION_CORS_ORIGINS: {
    kind: "list",
    default: "*",
    doc: "comma-separated browser origins allowed to call; auth is a bearer header, never a cookie",
  },
  ORION_PLAYGROUND: {
    kind: "choice",
    values: ON_OFF,
    default: "on",
    doc: "`off` stops serving the browser playground at `/`",
  },
  ORION_WEB_DIR: {
    kind: "text",
    defaultText: "`dist/web` (in the package)",
    doc: "where the built playground is read from (once, at start)",
  },
  ORION_LOG_LEVEL: {
    kind: "choice",
    values: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
    default: "info",
    doc: "how much is logged",
  },
  ORION_SHUTDOWN_TIMEOUT_MS: {
    kind: "integer",
    default: 10_000,
    min: 0,
    max: 600_000,
    doc: "how long in-flight requests may finish after SIGTERM",
  },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;
export type SettingsOfKind<K extends Setting["kind"]> = {
  [N in SettingName]: (typeof SETTINGS)[N]["kind"] extends K ? N : never;
}[SettingName];

/** The provider pattern's concrete name: ("ORION_MODEL_<NAME>_URL", "META_SAM3") → ORION_MODEL_META_SAM3_URL. */
export function providerSettingName(pattern: SettingName, stem: string): string {
  return pattern.replace("<NAME>", stem);
}

/** The environment variable stem for a provider: "google-veo-3.1" → "GOOGLE_VEO_3_1". */
export function providerEnvStem(wireName: string): string {
  return wireName.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}

/** A default as the server uses it (one computed at start, such as the core count, computed now). */
export function defaultOf(setting: IntegerSetting): number {
  return typeof setting.default === "function" ? setting.default() : setting.default;
}
