import type { CallerHints } from "../../identity/resolve-caller.js";
import type { HeaderReader } from "./exchange.js";

/** What identity reads from a request: the same headers on every surface. */
export function hintsFromHeaders(header: HeaderReader, remoteAddress: string | undefined): CallerHints {
  return {
    authorization: header.get("authorization"),
    browserId: header.get("x-browser-id") ?? header.get("x-browser-fingerprint"),
    userAgent: header.get("user-agent"),
    forwardedFor: header.get("x-forwarded-for"),
    remoteAddress,
  };
}
