import { createHmac, randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { ERROR_DOMAIN, guardStore, Reason } from "../errors.js";
import type { ApiKeys } from "./api-keys.js";
import type { Caller } from "./caller.js";
import { InvalidToken, type JwtVerifier } from "./jwt.js";
import { PLAN_RPM } from "./plans.js";

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

/** Prefixes of the ids the server derives itself; a client-supplied id never takes one. */
const DERIVED_ID = /^(ipua|h)_/;

/** The guest's address: the socket's, or the first X-Forwarded-For hop behind a trusted proxy. */
export function guestIp(hints: CallerHints, trustProxy: boolean): string {
  const forwarded = trustProxy ? hints.forwardedFor?.split(",")[0]?.trim() : undefined;
  return forwarded || hints.remoteAddress || "unknown";
}

/**
 * Where the secret that keys derived guest ids comes from: ORION_GUEST_SECRET, else a random one
 * kept in the shared store (first writer wins), so every instance derives the same ids and nobody
 * without the secret can compute another guest's id from its IP and User-Agent.
 */
export interface GuestSecretSource {
  configured: string | undefined;
  /** Stores `candidate` unless a secret exists; returns the one stored. */
  shared(candidate: string): Promise<string>;
}

/**
 * Decides who is calling: no Authorization → a guest (X-Browser-Id, else a hash of IP +
 * User-Agent); `Bearer <api key>` → that key's user and plan; `Bearer <JWT>` → a signed-in user.
 * A bad, expired or revoked token is 401, never a fall back to guest.
 */
export class CallerResolver {
  private secret: Promise<string> | undefined;

  constructor(
    private readonly keys: ApiKeys,
    private readonly jwt: JwtVerifier,
    private readonly trustProxy: boolean,
    private readonly secretSource: GuestSecretSource,
  ) {}

  private async keyed(text: string): Promise<string> {
    this.secret ??= this.secretSource.configured
      ? Promise.resolve(this.secretSource.configured)
      : guardStore("key store", () => this.secretSource.shared(randomBytes(32).toString("base64url")));
    // A failed read is tried again on the next request, not remembered.
    const secret = await this.secret.catch((error: unknown) => {
      this.secret = undefined;
      throw error;
    });
    return createHmac("sha256", secret).update(text).digest("hex").slice(0, 32);
  }

  /** A safe client id as given; anything else, and the IP + User-Agent fallback, keyed. */
  private async guestId(hints: CallerHints, ip: string): Promise<string> {
    const given = hints.browserId?.trim();
    if (given) {
      return SAFE_BROWSER_ID.test(given) && !DERIVED_ID.test(given)
        ? given
        : `h_${await this.keyed(`id\n${given}`)}`;
    }
    return `ipua_${await this.keyed(`ipua\n${ip}\n${hints.userAgent ?? ""}`)}`;
  }

  async resolve(hints: CallerHints): Promise<Caller> {
    if (hints.authorization !== null && hints.authorization !== undefined) {
      return this.authenticated(hints.authorization.trim());
    }
    const ip = guestIp(hints, this.trustProxy);
    return { kind: "guest", id: await this.guestId(hints, ip), ip };
  }

  private async authenticated(authorization: string): Promise<Caller> {
    if (authorization === "") throw unauthenticated("the Authorization header is empty");
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
