import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The surfaces a request can arrive on. */
export type Surface = "rest" | "connect" | "grpc" | "grpc-web" | "http";

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<"surface" | "method" | "status">;
  readonly requestSeconds: Histogram<"surface" | "method" | "status">;
  readonly upstreamSeconds: Histogram<"backend" | "outcome">;
  readonly inflightStreams: Gauge<"surface">;
  readonly quotaDecisions: Counter<"caller" | "decision">;
  readonly connectionsRefused: Counter;
  /** Streams cut because their client read nothing within ORION_STREAM_STALL_TIMEOUT_MS. */
  readonly streamsStalled: Counter;
  /** Connections the server ended itself, by why (sniff_timeout, headers_timeout, idle, …). */
  readonly connectionsClosed: Counter<"reason">;
  readonly connectionsOpen: Gauge;
  /** Chats by model variant, surface and outcome (ok, error, cancelled). */
  readonly chats: Counter<"variant" | "surface" | "outcome">;
  readonly chatSeconds: Histogram<"variant" | "surface" | "outcome">;
  readonly tokens: Counter<"variant" | "kind">;
  /** Streams only: from the request to the first content or tool-call delta. */
  readonly timeToFirstToken: Histogram<"variant" | "surface">;
  /** Server tool calls by tool, provider ("" for local tools) and outcome (ok, error, timeout, cancelled). */
  readonly toolCalls: Counter<"tool" | "provider" | "outcome">;
  readonly toolSeconds: Histogram<"tool" | "provider" | "outcome">;
  /** The tool-worker tier (ORION_TOOL_QUEUE=redis): time a job waited for a worker, and ran on it. */
  readonly toolQueueWaitSeconds: Histogram<"tool">;
  readonly toolQueueRunSeconds: Histogram<"tool">;
  /** Jobs a worker stopped renewing (killed, hung) that BullMQ put back for another worker. */
  readonly toolJobsStalled: Counter<"toolset">;
  /** Durable executions that ended, by status (completed, failed, cancelled); submitted ones by "submitted". */
  readonly executions: Counter<"status">;
  /** From submission to a process starting the run. */
  readonly executionQueueSeconds: Histogram;
  /** One run of an execution, from its start to its end (or its process stopping). */
  readonly executionRunSeconds: Histogram;
  /** Runs started again because the process running them died. */
  readonly executionRecoveries: Counter;
  /** Webhook delivery attempts by outcome (delivered, retried, refused, gave_up). */
  readonly webhookDeliveries: Counter<"outcome">;
  /** Files API uploads by path (multipart, presigned) and outcome (created, duplicate, too_large, owner_full, empty, error). */
  readonly fileUploads: Counter<"path" | "outcome">;
  /** Bytes received in uploads by path, kept or not. */
  readonly fileUploadBytes: Counter<"path">;
}

/** One tool call's end, as the agent reports it. */
export type ToolOutcomeKind = "ok" | "error" | "timeout" | "cancelled";

const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** A registry per app instance, so tests can run several servers in one process. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: "orion_requests_total",
      help: "Requests by surface, method and final status",
      labelNames: ["surface", "method", "status"],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: "orion_request_duration_seconds",
      help: "Request latency (whole stream for streaming calls)",
      labelNames: ["surface", "method", "status"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    upstreamSeconds: new Histogram({
      name: "orion_upstream_duration_seconds",
      help: "Upstream model call latency",
      labelNames: ["backend", "outcome"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    inflightStreams: new Gauge({
      name: "orion_inflight_streams",
      help: "Streaming responses in progress",
      labelNames: ["surface"],
      registers: [registry],
    }),
    quotaDecisions: new Counter({
      name: "orion_quota_decisions_total",
      help: "Quota and rate-limit decisions; fail_open / fail_closed count store failures",
      labelNames: ["caller", "decision"],
      registers: [registry],
    }),
    streamsStalled: new Counter({
      name: "orion_streams_stalled_total",
      help: "Streamed replies cut because the client read nothing within ORION_STREAM_STALL_TIMEOUT_MS",
      registers: [registry],
    }),
    connectionsRefused: new Counter({
      name: "orion_connections_refused_total",
      help: "Connections closed on arrival because ORION_MAX_CONNECTIONS were open",
      registers: [registry],
    }),
    connectionsClosed: new Counter({
      name: "orion_connections_closed_total",
      help: "Connections the server ended itself, by reason (sniff_timeout, headers_timeout, request_timeout, bad_request, idle, write_stall, h2_error)",
      labelNames: ["reason"],
      registers: [registry],
    }),
    connectionsOpen: new Gauge({
      name: "orion_connections_open",
      help: "Client connections open now, whatever their protocol or state",
      registers: [registry],
    }),
    chats: new Counter({
      name: "orion_chats_total",
      help: "Chats by model variant (lite, fast, auto, pro), surface and outcome",
      labelNames: ["variant", "surface", "outcome"],
      registers: [registry],
    }),
    chatSeconds: new Histogram({
      name: "orion_chat_duration_seconds",
      help: "Chat latency from admission to the last byte, by variant, surface and outcome",
      labelNames: ["variant", "surface", "outcome"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    tokens: new Counter({
      name: "orion_tokens_total",
      help: "Tokens by model variant and kind (prompt, completion), as the upstream reported them",
      labelNames: ["variant", "kind"],
      registers: [registry],
    }),
    timeToFirstToken: new Histogram({
      name: "orion_time_to_first_token_seconds",
      help: "Streaming chats: time from the request to the first content or tool-call delta",
      labelNames: ["variant", "surface"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    toolCalls: new Counter({
      name: "orion_tool_calls_total",
      help: "Server tool calls by tool, provider and outcome (ok, error, timeout, cancelled)",
      labelNames: ["tool", "provider", "outcome"],
      registers: [registry],
    }),
    toolSeconds: new Histogram({
      name: "orion_tool_duration_seconds",
      help: "Server tool call latency by tool, provider and outcome",
      labelNames: ["tool", "provider", "outcome"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    toolQueueWaitSeconds: new Histogram({
      name: "orion_tool_queue_wait_seconds",
      help: "Queued tool jobs: from enqueueing to a worker starting it, by tool",
      labelNames: ["tool"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    toolQueueRunSeconds: new Histogram({
      name: "orion_tool_queue_run_seconds",
      help: "Queued tool jobs: time running on a worker, by tool",
      labelNames: ["tool"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    toolJobsStalled: new Counter({
      name: "orion_tool_jobs_stalled_total",
      help: "Tool jobs whose worker stopped (killed or hung) and that were put back for another worker",
      labelNames: ["toolset"],
      registers: [registry],
    }),
    executions: new Counter({
      name: "orion_executions_total",
      help: "Durable agent executions submitted, and ended by status",
      labelNames: ["status"],
      registers: [registry],
    }),
    executionQueueSeconds: new Histogram({
      name: "orion_execution_queue_seconds",
      help: "From an execution's submission to a process starting it",
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    executionRunSeconds: new Histogram({
      name: "orion_execution_run_seconds",
      help: "One run of an execution, from its start to its end",
      buckets: [...LATENCY_BUCKETS, 120, 300, 600, 1800, 3600],
      registers: [registry],
    }),
    executionRecoveries: new Counter({
      name: "orion_execution_recoveries_total",
      help: "Executions started again because the process running them died",
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: "orion_webhook_deliveries_total",
      help: "Webhook delivery attempts by outcome (delivered, retried, refused, gave_up)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    fileUploads: new Counter({
      name: "orion_file_uploads_total",
      help: "Files API uploads by path (multipart, presigned) and outcome",
      labelNames: ["path", "outcome"],
      registers: [registry],
    }),
    fileUploadBytes: new Counter({
      name: "orion_file_upload_bytes_total",
      help: "Bytes received in Files API uploads by path, kept or not",
      labelNames: ["path"],
      registers: [registry],
    }),
  };
}

/** Bytes the embedded store holds, by kind (sessions, records, artifacts), read at each scrape. */
export function observeEmbeddedStore(metrics: Metrics, usage: () => Record<string, number>): void {
  const bytes: Gauge<"kind"> = new Gauge({
    name: "orion_embedded_store_bytes",
    help: "Bytes of values the embedded store holds, by kind; bounded by the ORION_EMBEDDED_MAX_* settings",
    labelNames: ["kind"],
    registers: [metrics.registry],
    collect: () => {
      for (const [kind, value] of Object.entries(usage())) bytes.set({ kind }, value);
    },
  });
}
