import { randomUUID } from "node:crypto";

/** An id for a tool call whose backend gave none (OpenAI's shape: "call_" and 24 hex digits). */
export function newToolCallId(): string {
  return `call_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
}
