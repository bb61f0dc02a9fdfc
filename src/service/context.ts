import { randomUUID } from "node:crypto";
import { createContextKey } from "@connectrpc/connect";

/** The request id of the call, set by the surface that received it (header or generated). */
export const kRequestId = createContextKey<string>("", { description: "request id" });

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's X-Request-Id when it is safe to log and forward, else a fresh one. */
export function requestIdFrom(header: string | null | undefined): string {
  return header && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * Fields the service adds to the call's one access-log line (variant, tokens, tool calls…): the
 * surface creates the record per call and logs it when the call ends.
 */
export const kLogFields = createContextKey<Record<string, unknown> | undefined>(undefined, {
  description: "access-log fields",
});

/**
 * Set on a chat that was already charged when it was accepted (a durable execution, charged at
 * submit): the run itself is not counted again, also when a resumed run starts it over.
 */
export const kPrepaid = createContextKey<boolean>(false, { description: "charged at submit" });
