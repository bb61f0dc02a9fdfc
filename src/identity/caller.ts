import { createContextKey } from "@connectrpc/connect";
import type { Plan } from "./plans.js";

/** Who is calling, decided once per request by the surface that received it. */
export type Caller =
  | { kind: "guest"; id: string /** Counted by the per-address backstop. */; ip: string }
  | { kind: "api_key"; id: string; keyId: string; plan: Plan; requestsPerMinute: number | undefined }
  | { kind: "user"; id: string };

export const kCaller = createContextKey<Caller | undefined>(undefined, { description: "caller" });

/** The owner of what a caller creates (sessions, idempotency records): a user, or a guest browser. */
export function ownerOf(caller: Caller): string {
  return caller.kind === "guest" ? `guest:${caller.id}` : `user:${caller.id}`;
}
