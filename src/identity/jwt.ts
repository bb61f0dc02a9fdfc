import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { IdentityConfig } from "../config.js";

export class InvalidToken extends Error {}

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
    const options = {
      ...(this.config.jwtIssuer ? { issuer: this.config.jwtIssuer } : {}),
      ...(this.config.jwtAudience ? { audience: this.config.jwtAudience } : {}),
      clockTolerance: 5,
      // A token without an expiry would be good forever.
      requiredClaims: ["exp"],
      ...(this.config.jwtMaxAgeSeconds ? { maxTokenAge: this.config.jwtMaxAgeSeconds } : {}),
    };
    try {
      const { payload } = this.secret
        ? await jwtVerify(token, this.secret, { ...options, algorithms: ["HS256"] })
        : await jwtVerify(token, this.jwks as JWTVerifyGetKey, options);
      if (typeof payload.sub !== "string" || payload.sub === "")
        throw new InvalidToken("the token has no sub");
      return payload.sub;
    } catch (error) {
      if (error instanceof InvalidToken) throw error;
      if (error instanceof errors.JWTExpired) {
        throw new InvalidToken(
          error.claim === "iat"
            ? `the token was issued (iat) more than ${this.config.jwtMaxAgeSeconds} s ago`
            : "the token has expired",
        );
      }
      if (error instanceof errors.JWTClaimValidationFailed) {
        throw new InvalidToken(
          error.reason === "missing"
            ? `the token has no ${error.claim} claim${error.claim === "exp" ? " (tokens must expire)" : ""}`
            : `the token's ${error.claim} claim is not valid`,
        );
      }
      if (error instanceof errors.JWSSignatureVerificationFailed)
        throw new InvalidToken("the token's signature is not valid");
      throw new InvalidToken(`the token is not valid (${(error as Error).message})`);
    }
  }
}
