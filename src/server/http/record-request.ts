import type { Logger } from "../../observability/logger.js";
import type { Metrics, Surface } from "../../observability/metrics.js";

export interface RequestLine {
  req_id: string;
  surface: Surface;
  method: string;
  status: string;
  seconds: number;
}

/**
 * One finished request: its counter, its latency and one access-log line, on every surface. The
 * line is `fields` (what the service added, which it takes over) with the request's own on top.
 */
export function recordRequest(
  metrics: Metrics,
  logger: Logger,
  line: RequestLine,
  fields: Record<string, unknown>,
  msg: string,
) {
  const { surface, method, status, seconds } = line;
  const labels = { surface, method, status };
  metrics.requests.inc(labels);
  metrics.requestSeconds.observe(labels, seconds);
  fields.req_id = line.req_id;
  fields.surface = surface;
  fields.method = method;
  fields.status ??= status;
  fields.ms = Math.round(seconds * 1e4) / 10;
  logger.info(fields, msg);
}
