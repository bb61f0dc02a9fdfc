import { createHash, timingSafeEqual } from "node:crypto";
import type { Metrics } from "../observability/metrics.js";
import type { Exchange } from "./http/exchange.js";
import { simpleHttpError } from "./http/http-error.js";
import { sendHttpError, sendJson } from "./http/respond.js";
import { headerOf, writable } from "./http/types.js";
import type { Lifecycle } from "./lifecycle.js";

/** A dependency readiness depends on (the store). */
export interface ReadinessCheck {
  name: string;
  /** Resolves true when healthy; must answer within its own time bound. */
  check: () => Promise<boolean>;
}

/** Compares in constant time, so the token cannot be guessed a byte at a time from response times. */
function sameToken(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Ready: not draining and every dependency answers; with each check's result. */
export function readiness(lifecycle: Lifecycle, checks: ReadinessCheck[]) {
  return async () => {
    const results = await Promise.all(
      checks.map(async (c) => [c.name, await c.check().catch(() => false)] as const),
    );
    const ready = !lifecycle.draining && results.every(([, ok]) => ok);
    return { ready, checks: Object.fromEntries(results) };
  };
}

export function healthRoutes(
  lifecycle: Lifecycle,
  metrics: Metrics,
  checks: ReadinessCheck[],
  metricsToken?: string,
  /** More facts for /readyz that do not decide readiness (e.g. tool workers present). */
  facts: () => Record<string, unknown> = () => ({}),
) {
  const isReady = readiness(lifecycle, checks);
  return {
    /** Alive: the process answers. */
    healthz({ res }: Exchange) {
      sendJson(res, 200, { status: lifecycle.draining ? "draining" : "ok" });
    },
    /** Ready: not draining and every dependency answers. */
    async readyz({ res }: Exchange) {
      const { ready, checks: results } = await isReady();
      sendJson(res, ready ? 200 : 503, {
        status: ready ? "ready" : "not_ready",
        draining: lifecycle.draining,
        checks: results,
        ...facts(),
      });
    },
    async metrics({ req, res }: Exchange) {
      if (metricsToken !== undefined) {
        const given = /^Bearer\s+(\S+)$/i.exec(headerOf(req, "authorization")?.trim() ?? "")?.[1];
        if (given === undefined || !sameToken(given, metricsToken)) {
          sendHttpError(res, {
            ...simpleHttpError(
              401,
              "unauthenticated",
              "/metrics needs the bearer token set in ORION_METRICS_TOKEN",
            ),
            headers: { "www-authenticate": 'Bearer realm="orion-metrics"' },
          });
          return;
        }
      }
      const text = await metrics.registry.metrics();
      writable(res).writeHead(200, { "content-type": metrics.registry.contentType });
      writable(res).end(text);
    },
  };
}
