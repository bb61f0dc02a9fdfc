import { randomBytes, timingSafeEqual } from "node:crypto";
import { rememberedSha256 } from "../runtime/remembered-hash.js";
import type { Store } from "../store/store.js";
import type { Plan } from "./plans.js";

export interface ApiKeyRecord {
  id: string;
  user: string;
  plan: Plan;
  /** Overrides the plan's requests-per-minute limit when set. */
  requestsPerMinute?: number;
  createdAt: string;
  /** Where it lives: the store (managed by the CLI) or ORION_API_KEYS. */
  source: "store" | "env";
}

const MAP = "api-keys";

const sha256Hex = rememberedSha256("hex");

export function hashKey(key: string): string {
  return sha256Hex(key);
}

/**
 * API keys, stored hashed (SHA-256; the plain key is shown once, at creation). Lookups go to the
 * store on every request, so a revocation takes effect on the next request on every instance.
 */
export class ApiKeys {
  private readonly fromEnv = new Map<string, ApiKeyRecord>();
  /** The env keys' hashes as bytes, for the constant-time comparison on every lookup. */
  private readonly envHashes: { bytes: Buffer; record: ApiKeyRecord }[] = [];

  constructor(
    private readonly store: Store,
    envKeys: { key: string; user: string; plan: string }[] = [],
  ) {
    for (const { key, user, plan } of envKeys) {
      const hash = hashKey(key);
      this.fromEnv.set(hash, {
        id: `env_${hash.slice(0, 8)}`,
        user,
        plan: plan as Plan,
        createdAt: new Date(0).toISOString(),
        source: "env",
      });
    }
    for (const [hash, record] of this.fromEnv)
      this.envHashes.push({ bytes: Buffer.from(hash, "hex"), record });
  }

  async lookup(key: string): Promise<ApiKeyRecord | undefined> {
    const hash = hashKey(key);
    if (this.envHashes.length > 0) {
      const bytes = Buffer.from(hash, "hex");
      for (const known of this.envHashes) if (timingSafeEqual(known.bytes, bytes)) return known.record;
    }
    const stored = await this.store.mapGet(MAP, hash);
    return stored === undefined ? undefined : (JSON.parse(stored) as ApiKeyRecord);
  }

  async create(
    user: string,
    plan: Plan,
    requestsPerMinute?: number,
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = `orion_sk_${randomBytes(32).toString("base64url")}`;
    const record: ApiKeyRecord = {
      id: `key_${randomBytes(6).toString("hex")}`,
      user,
      plan,
      ...(requestsPerMinute !== undefined ? { requestsPerMinute } : {}),
      createdAt: new Date().toISOString(),
      source: "store",
    };
    await this.store.mapSet(MAP, hashKey(key), JSON.stringify(record));
    return { key, record };
  }

  async list(): Promise<ApiKeyRecord[]> {
    const stored = Object.values(await this.store.mapEntries(MAP)).map((v) => JSON.parse(v) as ApiKeyRecord);
    return [...this.fromEnv.values(), ...stored].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Revokes a stored key by id; false when no such key. */
  async revoke(id: string): Promise<boolean> {
    for (const [hash, value] of Object.entries(await this.store.mapEntries(MAP))) {
      if ((JSON.parse(value) as ApiKeyRecord).id === id) return this.store.mapDelete(MAP, hash);
    }
    return false;
  }
}
