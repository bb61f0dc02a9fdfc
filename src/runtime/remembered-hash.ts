import { type BinaryToTextEncoding, createHash } from "node:crypto";

/**
 * SHA-256 of short strings that repeat from request to request (callers, owners, API keys),
 * remembered for the most recent few thousand: hashing them on every request showed in the CPU
 * profile. Each call site keeps its own table, bounded by clearing it when full.
 */
export function rememberedSha256(encoding: BinaryToTextEncoding, capacity = 10_000) {
  const known = new Map<string, string>();
  return (text: string): string => {
    let hash = known.get(text);
    if (hash === undefined) {
      hash = createHash("sha256").update(text).digest(encoding);
      if (known.size >= capacity) known.clear();
      known.set(text, hash);
    }
    return hash;
  };
}
