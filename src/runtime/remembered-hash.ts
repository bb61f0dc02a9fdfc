import { type BinaryToTextEncoding, createHash } from "node:crypto";

/**
 * SHA-256 of short strings that repeat from request to request (callers, owners, API keys),
 * remembered for the most recent few thousand: hashing them on every request showed in the CPU
 * profile. Each call site keeps its own table, bounded by clearing it when full. A string longer
 * than `maxLength` is hashed but never remembered: such strings come from callers (a bearer token
 * of any length is looked up before it is refused), and ten thousand of them would be megabytes.
 */
export function rememberedSha256(encoding: BinaryToTextEncoding, capacity = 10_000, maxLength = 256) {
  const known = new Map<string, string>();
  return (text: string): string => {
    let hash = known.get(text);
    if (hash === undefined) {
      hash = createHash("sha256").update(text).digest(encoding);
      if (text.length > maxLength) return hash;
      if (known.size >= capacity) known.clear();
      known.set(text, hash);
    }
    return hash;
  };
}
