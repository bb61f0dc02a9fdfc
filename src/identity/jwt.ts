import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { IdentityConfig } from "../config.js";

export class InvalidToken extends Error {}

/** Seconds of clock difference allowed between the token's issuer and this server. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** Verifies signed-in users' JWTs: HS256 with ORION_JWT_SECRET, or keys from ORION_JWT_JWKS_URL. */
export class JwtVerifier {
  private readonly secret: Uint8Array | undefined;
  private readonly jwks: JWTVerifyGetKey | undefined;

  constructor(private readonly config: IdentityConfig) {
    this.secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;
    this.jwks = config.jwtJwksUrl
      ? createRemoteJWKSet(new URL(config.jwtJwksUrl), { timeoutDuration: 2_000 })
      : undefined;
  }

  get configured(): boolean {
    return this.secret !== undefined || this.jwks !== undefined;
  }

  /** The user id (`sub`) of a valid token; throws InvalidToken with the reason otherwise. */
  async verify(token: string): Promise<string> {
    if (!this.configured) {
      throw new InvalidToken(
        "signed-in tokens are not accepted here: set ORION_JWT_SECRET or ORION_JWT_JWKS_URL",
      );
    }
    const payload = await this.verifiedPayload(token);
    this.checkLifetime(payload);
    if (typeof payload.sub !== "string" || payload.sub === "") throw new InvalidToken("the token has no sub");
    return payload.sub;
  }

  /** Signature, `exp`, `nbf`, issuer and audience, checked by jose. */
  private async verifiedPayload(token: string): Promise<JWTPayload> {
    const options = {
      ...(this.config.jwtIssuer ? { issuer: this.config.jwtIssuer } : {}),
      ...(this.config.jwtAudience ? { audience: this.config.jwtAudience } : {}),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      // A token without an expiry would be good forever.
      requiredClaims: ["exp"],
    };
    try {
      const { payload } = this.secret
        ? await jwtVerify(token, this.secret, { ...options, algorithms: ["HS256"] })
        : await jwtVerify(token, this.jwks as JWTVerifyGetKey, options);
      return payload;
    } catch (error) {
      throw invalidTokenOf(error);
    }
  }

  /**
   * ORION_JWT_MAX_AGE_SECONDS: no token is usable for longer than that from now (its `exp`), nor
   * once it is older than that (its `iat`, when it has one). So a token whose `iat` is missing
   * still works, and its remaining life is bounded all the same.
   */
  private checkLifetime(payload: JWTPayload): void {
    const maxAge = this.config.jwtMaxAgeSeconds;
    if (maxAge === 0) return;
    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp as number;
    if (exp - now > maxAge + CLOCK_TOLERANCE_SECONDS) {
      throw new InvalidToken(
        `the token expires (exp) more than ${maxAge} s from now, longer than this server accepts (ORION_JWT_MAX_AGE_SECONDS)`,
      );
    }
    if (payload.iat !== undefined && now - payload.iat > maxAge + CLOCK_TOLERANCE_SECONDS) {
      throw new InvalidToken(
        `the token was issued (iat) more than ${maxAge} s ago (ORION_JWT_MAX_AGE_SECONDS)`,
      );
    }
  }
}

/** jose's refusal, said in a line a caller can act on. */
function invalidTokenOf(error: unknown): InvalidToken {
  if (error instanceof errors.JWTExpired) return new InvalidToken("the token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new InvalidToken(
      error.reason === "missing"
        ? `the token has no ${error.claim} claim${error.claim === "exp" ? " (tokens must expire)" : ""}`
        : `the token's ${error.claim} claim is not valid`,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new InvalidToken("the token's signature is not valid");
  return new InvalidToken(`the token is not valid (${(error as Error).message})`);
}
