import { createHash } from "node:crypto";
import { Unzip, UnzipInflate } from "fflate";
import { InvalidSkill } from "./skill.js";

export interface ZipLimits {
  /** Largest compressed bundle. */
  maxZipBytes: number;
  /** Largest total of uncompressed files. */
  maxUnpackedBytes: number;
  maxEntries: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxZipBytes: 1024 * 1024,
  maxUnpackedBytes: 4 * 1024 * 1024,
  maxEntries: 64,
};

/** A safe relative path: no absolute paths, no "..", no backslashes, no drive letters. */
function safePath(name: string): boolean {
  return (
    !name.startsWith("/") &&
    !name.includes("\\") &&
    !/^[A-Za-z]:/.test(name) &&
    !name.split("/").includes("..")
  );
}

/** Compressed bytes fed to the inflater at a time: deflate expands at most ~1032×, so one step stays small. */
const STEP_BYTES = 256;
/** Inflated bytes between two yields to the event loop (a few milliseconds of work). */
const YIELD_BYTES = 64 * 1024;

/**
 * Unpacks an inline skill zip with its limits checked as it inflates: entry count, paths (no
 * traversal), and the bytes actually produced (a zip bomb stops at the cap, whatever its headers
 * declare). Input is fed in small steps, so no step inflates much past the cap, and the event loop
 * gets a turn every 64 KiB of output (or of input), so a bundle at the cap never holds other callers up. A single
 * top-level folder is stripped, so zips of a folder and zips of its contents both work.
 */
export async function unpackSkillZip(
  data: Uint8Array,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<Map<string, string>> {
  if (data.byteLength > limits.maxZipBytes)
    throw new InvalidSkill(`the zip is larger than ${limits.maxZipBytes} bytes`);
  const parts = new Map<string, Uint8Array[]>();
  let entries = 0;
  let total = 0;
  let sinceYield = 0;
  const tooBig = () => new InvalidSkill(`the zip unpacks to more than ${limits.maxUnpackedBytes} bytes`);
  const unzip = new Unzip((file) => {
    if (++entries > limits.maxEntries)
      throw new InvalidSkill(`the zip has more than ${limits.maxEntries} entries`);
    if (!safePath(file.name))
      throw new InvalidSkill(`the zip entry "${file.name}" points outside the bundle`);
    if ((file.originalSize ?? 0) > limits.maxUnpackedBytes) throw tooBig();
    if (file.name.endsWith("/")) return;
    const chunks: Uint8Array[] = [];
    parts.set(file.name, chunks);
    file.ondata = (error, chunk) => {
      if (error) throw error;
      total += chunk.byteLength;
      sinceYield += chunk.byteLength;
      if (total > limits.maxUnpackedBytes) throw tooBig();
      chunks.push(chunk);
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let at = 0; at < data.byteLength; at += STEP_BYTES) {
      unzip.push(data.subarray(at, at + STEP_BYTES), at + STEP_BYTES >= data.byteLength);
      if (sinceYield >= YIELD_BYTES || at % YIELD_BYTES === 0) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  } catch (error) {
    if (error instanceof InvalidSkill) throw error;
    throw new InvalidSkill(`the data is not a readable zip (${(error as Error).message})`);
  }
  if (entries === 0) throw new InvalidSkill("the data is not a readable zip (no entries)");
  const names = [...parts.keys()];
  const roots = new Set(names.map((n) => n.split("/")[0]));
  const strip = roots.size === 1 && names.every((n) => n.includes("/")) ? `${[...roots][0]}/` : "";
  const decoder = new TextDecoder();
  const files = new Map<string, string>();
  for (const [name, chunks] of parts) {
    files.set(name.slice(strip.length), decoder.decode(Buffer.concat(chunks)));
  }
  return files;
}

/** The id the VLM Run SDK derives for an inline skill: inline_<sha256(data)[:16]>. */
export function inlineSkillId(data: Uint8Array): string {
  return `inline_${createHash("sha256").update(data).digest("hex").slice(0, 16)}`;
}
