import { Code } from "@connectrpc/connect";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { errorFacts, Reason } from "../../src/errors.js";
import { ApiKeys } from "../../src/identity/api-keys.js";
import { guestSecretSource } from "../../src/identity/guest-secret.js";
import { JwtVerifier } from "../../src/identity/jwt.js";
import { type CallerHints, CallerResolver } from "../../src/identity/resolve-caller.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import type { Store } from "../../src/store/store.js";
import { connectErrorOf } from "../support/connect-error.js";
import { failingStore } from "../support/failing-store.js";

// CallerResolver built as app.ts builds it, over a real MemoryStore: no HTTP, no interceptor.

const JWT_SECRET = "a-test-secret-of-thirty-two-bytes!";
const ENV_KEY = "sk-env-key-123456";

function resolverOf(env: Record<string, string> = {}, store: Store = new MemoryStore()) {
  const { identity } = loadConfig({
    ORION_JWT_SECRET: JWT_SECRET,
    ORION_API_KEYS: `${ENV_KEY}=alice:starter`,
    ...env,
  });
  const keys = new ApiKeys(store, identity.apiKeys);
  const resolver = new CallerResolver(
    keys,
    new JwtVerifier(identity),
    identity.trustProxy,
    guestSecretSource(store, identity.guestSecret),
  );
  return { resolver, keys, store };
}

const hints = (more: Partial<CallerHints> = {}): CallerHints => ({
  authorization: undefined,
  browserId: undefined,
  userAgent: "Mozilla/5.0",
  remoteAddress: "203.0.113.7",
  forwardedFor: undefined,
  ...more,
});
const bearer = (token: string) => hints({ authorization: `Bearer ${token}` });

async function jwt(claims: { sub?: string; exp?: number | string }, secret = JWT_SECRET) {
  let token = new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setIssuedAt();
  if (claims.sub !== undefined) token = token.setSubject(claims.sub);
  if (claims.exp !== undefined) token = token.setExpirationTime(claims.exp);
  return token.sign(new TextEncoder().encode(secret));
}

/** The refusal, with its RFC 6750 challenge. */
async function refused(resolving: Promise<unknown>) {
  const connect = await connectErrorOf(resolving);
  return {
    code: connect.code,
    reason: errorFacts(connect).reason,
    challenge: connect.metadata.get("www-authenticate"),
    message: connect.rawMessage,
  };
}

describe("CallerResolver, driven directly", () => {
  it("makes a caller without Authorization a guest, keeping a safe browser id as given", async () => {
    const { resolver } = resolverOf();
    expect(await resolver.resolve(hints({ browserId: "tab_7-A" }))).toEqual({
      kind: "guest",
      id: "tab_7-A",
      ip: "203.0.113.7",
    });
  });

  it("derives the id otherwise, and never lets a client id pass for a derived one", async () => {
    const { resolver } = resolverOf();
    const idOf = async (more: Partial<CallerHints>) => (await resolver.resolve(hints(more))).id;
    for (const browserId of ["h_0123456789abcdef0123456789abcdef", "ipua_x", "has space", "x".repeat(129)]) {
      const id = await idOf({ browserId });
      expect(id).toMatch(/^h_[0-9a-f]{32}$/);
      expect(id).not.toBe(browserId);
    }
    const byAddress = await idOf({});
    expect(byAddress).toMatch(/^ipua_[0-9a-f]{32}$/);
    expect(await idOf({})).toBe(byAddress);
    expect(await idOf({ userAgent: "curl/8" })).not.toBe(byAddress);
    expect(await idOf({ remoteAddress: "198.51.100.9" })).not.toBe(byAddress);
  });

  it("keys derived ids with one secret: shared through the store, or ORION_GUEST_SECRET", async () => {
    const store = new MemoryStore();
    const one = (await resolverOf({}, store).resolver.resolve(hints())).id;
    const two = (await resolverOf({}, store).resolver.resolve(hints())).id;
    expect(two).toBe(one);
    const elsewhere = (await resolverOf({}).resolver.resolve(hints())).id;
    expect(elsewhere).not.toBe(one);
    const configured = async () =>
      (await resolverOf({ ORION_GUEST_SECRET: "s3cret" }).resolver.resolve(hints())).id;
    expect(await configured()).toBe(await configured());
  });

  it("takes the guest's address from X-Forwarded-For only behind a trusted proxy", async () => {
    const forwarded = hints({ forwardedFor: "192.0.2.1, 10.0.0.1" });
    expect(await resolverOf().resolver.resolve(forwarded)).toMatchObject({ ip: "203.0.113.7" });
    const trusted = resolverOf({ ORION_TRUST_PROXY: "true" }).resolver;
    expect(await trusted.resolve(forwarded)).toMatchObject({ ip: "192.0.2.1" });
  });

  it("makes an API key an api_key caller with its plan and requests per minute", async () => {
    const { resolver, keys } = resolverOf();
    expect(await resolver.resolve(bearer(ENV_KEY))).toMatchObject({
      kind: "api_key",
      id: "alice",
      plan: "starter",
      requestsPerMinute: 10,
      keyId: expect.stringMatching(/^env_/),
    });
    const { key, record } = await keys.create("bob", "pro", 7);
    expect(await resolver.resolve(bearer(key))).toEqual({
      kind: "api_key",
      id: "bob",
      keyId: record.id,
      plan: "pro",
      requestsPerMinute: 7,
    });
    const enterprise = await keys.create("carol", "enterprise");
    expect(await resolver.resolve(bearer(enterprise.key))).toMatchObject({ requestsPerMinute: undefined });
    await keys.revoke(record.id);
    expect((await refused(resolver.resolve(bearer(key)))).code).toBe(Code.Unauthenticated);
  });

  it("refuses a bad token with a WWW-Authenticate challenge, never falling back to guest", async () => {
    const { resolver } = resolverOf();
    for (const authorization of ["", "Basic dXNlcjpwYXNz", "Bearer", "Bearer sk-unknown-key-0000"]) {
      const refusal = await refused(resolver.resolve(hints({ authorization })));
      expect(refusal).toMatchObject({ code: Code.Unauthenticated, reason: Reason.unauthenticated });
      expect(refusal.challenge).toMatch(/^Bearer realm="orion", error="invalid_token", error_description="/);
    }
  });

  it("makes a JWT signed with the configured secret a user, and refuses a bad or expired one", async () => {
    const { resolver } = resolverOf();
    expect(await resolver.resolve(bearer(await jwt({ sub: "u-42", exp: "1h" })))).toEqual({
      kind: "user",
      id: "u-42",
    });
    const cases: [string, string][] = [
      [await jwt({ sub: "u-42", exp: Math.floor(Date.now() / 1000) - 60 }), "the token has expired"],
      [await jwt({ sub: "u-42", exp: "1h" }, "another-secret-of-thirty-two-bytes"), "signature is not valid"],
      [await jwt({ sub: "u-42" }), "the token has no exp claim"],
      [await jwt({ exp: "1h" }), "the token has no sub"],
    ];
    for (const [token, why] of cases) {
      const refusal = await refused(resolver.resolve(bearer(token)));
      expect(refusal.code).toBe(Code.Unauthenticated);
      expect(refusal.message).toContain(why);
      expect(refusal.challenge).toContain(why);
    }
    const { resolver: noSecret } = resolverOf({ ORION_JWT_SECRET: "" });
    const token = await jwt({ sub: "u-42", exp: "1h" });
    expect((await refused(noSecret.resolve(bearer(token)))).message).toContain("ORION_JWT_SECRET");
  });

  it("answers Unavailable, not guest, when the store cannot look a key up", async () => {
    const { store, state } = failingStore(new MemoryStore());
    const { resolver } = resolverOf({}, store);
    state.down = true;
    const refusal = await refused(resolver.resolve(bearer("sk-stored-key-000000")));
    expect(refusal).toMatchObject({ code: Code.Unavailable, reason: Reason.storeUnavailable });
    // A guest's derived id needs the shared secret, which the store holds.
    expect((await refused(resolver.resolve(hints()))).code).toBe(Code.Unavailable);
  });
});
