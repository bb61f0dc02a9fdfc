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
}

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
    connectionsRefused: new Counter({
      name: "orion_connections_refused_total",
      help: "Connections closed on arrival because ORION_MAX_CONNECTIONS were open",
      registers: [registry],
    }),
  };
}
