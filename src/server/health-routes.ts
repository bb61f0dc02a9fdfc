import type { Metrics } from "../observability/metrics.js";
import { sendJson } from "./http/respond.js";
import { type NodeRequest, type NodeResponse, writable } from "./http/types.js";
import type { Lifecycle } from "./lifecycle.js";

/** A dependency readiness depends on (the store, from the identity issue on). */
export interface ReadinessCheck {
  name: string;
  /** Resolves true when healthy; must answer within its own time bound. */
  check: () => Promise<boolean>;
}

export function healthRoutes(lifecycle: Lifecycle, metrics: Metrics, checks: ReadinessCheck[]) {
  return {
    /** Alive: the process answers. */
    healthz(_req: NodeRequest, res: NodeResponse) {
      sendJson(res, 200, { status: lifecycle.draining ? "draining" : "ok" });
    },
    /** Ready: not draining and every dependency answers. */
    async readyz(_req: NodeRequest, res: NodeResponse) {
      const results = await Promise.all(
        checks.map(async (c) => [c.name, await c.check().catch(() => false)] as const),
      );
      const failing = results.filter(([, ok]) => !ok).map(([name]) => name);
      const ready = !lifecycle.draining && failing.length === 0;
      sendJson(res, ready ? 200 : 503, {
        status: ready ? "ready" : "not_ready",
        draining: lifecycle.draining,
        checks: Object.fromEntries(results),
      });
    },
    async metrics(_req: NodeRequest, res: NodeResponse) {
      const text = await metrics.registry.metrics();
      writable(res).writeHead(200, { "content-type": metrics.registry.contentType });
      writable(res).end(text);
    },
  };
}
