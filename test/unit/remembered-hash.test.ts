import { createHash } from "node:crypto";
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { rememberedSha256 } from "../../src/runtime/remembered-hash.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const heapUsed = () => {
  gc();
  return getHeapStatistics().used_heap_size;
};

describe("rememberedSha256", () => {
  it("gives SHA-256 whether or not it remembers the string", () => {
    const hash = rememberedSha256("hex");
    for (const text of ["sk-short-key", "k".repeat(10_000)]) {
      const expected = createHash("sha256").update(text).digest("hex");
      expect(hash(text)).toBe(expected);
      expect(hash(text)).toBe(expected);
    }
  });

  it("keeps nothing of long strings a caller can vary (bearer tokens looked up before a 401)", () => {
    const hash = rememberedSha256("hex");
    const before = heapUsed();
    // 2,000 distinct 32 KiB tokens: 64 MiB if the table kept them.
    const filler = "t".repeat(32 * 1024);
    for (let i = 0; i < 2_000; i++) hash(`${i}:${filler}`.slice(0, 32 * 1024));
    expect(heapUsed() - before).toBeLessThan(16 << 20);
  });
});
