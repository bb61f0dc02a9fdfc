import type { Config } from "../config.js";
import type { Caller } from "../identity/caller.js";

/** A size cap, and the words that say where it comes from (for the 413/422 that cites it). */
export interface ByteCap {
  maxBytes: number;
  /** "ORION_MAX_TEXT_BYTES", or a guest's setting and how to get more. */
  source: string;
}

/** What one request may carry: a guest far less than a signed-in caller (anyone can be a guest). */
export interface RequestCaps {
  body: ByteCap;
  /** Each text: a message's content, a text part, a tool call's arguments. */
  text: ByteCap;
}

export type CallerCaps = Record<"guest" | "signedIn", RequestCaps>;

const MORE = "sign in or use an API key for more";

export function callerCaps(config: Config): CallerCaps {
  return {
    guest: {
      body: {
        maxBytes: config.guestCaps.maxBodyBytes,
        source: `a guest's limit, ORION_GUEST_MAX_BODY_BYTES; ${MORE}`,
      },
      text: {
        maxBytes: config.guestCaps.maxTextBytes,
        source: `a guest's limit, ORION_GUEST_MAX_TEXT_BYTES; ${MORE}`,
      },
    },
    signedIn: {
      body: { maxBytes: config.maxBodyBytes, source: "ORION_MAX_BODY_BYTES" },
      text: { maxBytes: config.maxTextBytes, source: "ORION_MAX_TEXT_BYTES" },
    },
  };
}

/** A caller not yet known (or none) gets a guest's caps. */
export function capsOf(caps: CallerCaps, caller: Caller | undefined): RequestCaps {
  return caller === undefined || caller.kind === "guest" ? caps.guest : caps.signedIn;
}
