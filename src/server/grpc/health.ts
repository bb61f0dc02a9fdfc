import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Health,
  type HealthCheckResponse_ServingStatus,
  HealthCheckResponse_ServingStatus as Status,
} from "../../../gen/grpc/health/v1/health_pb.js";

/** How often Watch re-reads readiness to notice a change, and how long one reading is shared. */
const WATCH_INTERVAL_MS = 1_000;

/**
 * grpc.health.v1.Health for Kubernetes gRPC probes and load balancers: "" (the server) and each
 * served service report SERVING exactly when /readyz would answer 200 (not draining, store up).
 */
export function healthService(
  services: readonly string[],
  ready: () => Promise<boolean>,
): ServiceImpl<typeof Health> {
  const known = new Set(["", ...services]);
  // One readiness check per interval, however many probes and watchers ask: a thousand Watch
  // streams must not become a thousand store pings a second.
  let last: { at: number; ready: Promise<boolean> } | undefined;
  const readyNow = () => {
    const now = performance.now();
    if (!last || now - last.at >= WATCH_INTERVAL_MS) last = { at: now, ready: ready().catch(() => false) };
    return last.ready;
  };
  const statusOf = async (service: string): Promise<HealthCheckResponse_ServingStatus> => {
    if (!known.has(service)) return Status.SERVICE_UNKNOWN;
    return (await readyNow()) ? Status.SERVING : Status.NOT_SERVING;
  };
  return {
    async check({ service }) {
      if (!known.has(service)) throw new ConnectError(`unknown service "${service}"`, Code.NotFound);
      return { status: await statusOf(service) };
    },
    async *watch({ service }, ctx) {
      let last: HealthCheckResponse_ServingStatus | undefined;
      while (!ctx.signal.aborted) {
        const status = await statusOf(service);
        if (status !== last) {
          last = status;
          yield { status };
        }
        await sleep(WATCH_INTERVAL_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
      }
    },
    async list() {
      const status = await statusOf("");
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status }])) };
    },
  };
}
