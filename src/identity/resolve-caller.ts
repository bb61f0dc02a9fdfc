import { createHash } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { ERROR_DOMAIN, guardStore, Reason } from "../service/errors.js";
import type { ApiKeys } from "./api-keys.js";
import { type Caller, PLAN_RPM } from "./caller.js";
import { InvalidToken, type JwtVerifier } from "./jwt.js";

/** What identifies a caller, read from either surface. */
export interface CallerHints {
  authorization: string | null | undefined;
  browserId: string | null | undefined;
  userAgent: string | null | undefined;
  remoteAddress: string | undefined;
  forwardedFor: string | null | undefined;
}

const SAFE_BROWSER_ID = /^[A-Za-z0-9_-]{1,128}$/;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function unauthenticated(description: string): ConnectError {
  // Sent as a header on every surface: RFC 6750's challenge.
  const challenge = `Bearer realm="orion", error="invalid_token", error_description="${description.replace(/"/g, "'")}"`;
  return new ConnectError(description, Code.Unauthenticated, { "www-authenticate": challenge }, [
    { desc: ErrorInfoSchema, value: { reason: Reason.unauthenticated, domain: ERROR_DOMAIN } },
  ]);
}

function guestId(hints: CallerHints, trustProxy: boolean): string {
  const given = hints.browserId?.trim();
  if (given) return SAFE_BROWSER_ID.test(given) ? given : `h_${sha(given)}`;
  const forwarded = trustProxy ? hints.forwardedFor?.split(",")[0]?.trim() : undefined;
  const ip = forwarded || hints.remoteAddress || "unknown";
  return `ipua_${sha(`${ip}\n${hints.userAgent ?? ""}`)}`;
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/**
 * Decides who is calling: no Authorization → a guest (X-Browser-Id, else a hash of IP +
 * User-Agent); `Bearer <api key>` → that key's user and plan; `Bearer <JWT>` → a signed-in user.
 * A bad, expired or revoked token is 401, never a fall back to guest.
 */
export class CallerResolver {
  constructor(
    private readonly keys: ApiKeys,
    private readonly jwt: JwtVerifier,
    private readonly trustProxy: boolean,
  ) {}

  async resolve(hints: CallerHints): Promise<Caller> {
    const authorization = hints.authorization?.trim();
    if (!authorization) return { kind: "guest", id: guestId(hints, this.trustProxy) };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw unauthenticated("the Authorization header must be 'Bearer <token>'");
    const token = match[1] as string;
    if (JWT_SHAPE.test(token)) {
      try {
        return { kind: "user", id: await this.jwt.verify(token) };
      } catch (error) {
        if (error instanceof InvalidToken) throw unauthenticated(error.message);
        throw error;
      }
    }
    const record = await guardStore("key store", () => this.keys.lookup(token));
    if (!record) throw unauthenticated("the API key is not valid (unknown or revoked)");
    return {
      kind: "api_key",
      id: record.user,
      keyId: record.id,
      plan: record.plan,
      requestsPerMinute: record.requestsPerMinute ?? PLAN_RPM[record.plan],
    };
  }
}
