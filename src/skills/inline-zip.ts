import { createHash } from "node:crypto";
import { unzipSync } from "fflate";
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

/**
 * Unpacks an inline skill zip with its limits checked before and after inflating: entry count,
 * declared sizes (no zip bombs), actual sizes, and paths (no traversal). A single top-level folder
 * is stripped, so zips of a folder and zips of its contents both work.
 */
export function unpackSkillZip(
  data: Uint8Array,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Map<string, string> {
  if (data.byteLength > limits.maxZipBytes)
    throw new InvalidSkill(`the zip is larger than ${limits.maxZipBytes} bytes`);
  let entries = 0;
  let declared = 0;
  let unpacked: Record<string, Uint8Array>;
  try {
    unpacked = unzipSync(data, {
      filter(file) {
        entries++;
        if (entries > limits.maxEntries)
          throw new InvalidSkill(`the zip has more than ${limits.maxEntries} entries`);
        if (!safePath(file.name))
          throw new InvalidSkill(`the zip entry "${file.name}" points outside the bundle`);
        declared += file.originalSize;
        if (declared > limits.maxUnpackedBytes) {
          throw new InvalidSkill(`the zip unpacks to more than ${limits.maxUnpackedBytes} bytes`);
        }
        return !file.name.endsWith("/");
      },
    });
  } catch (error) {
    if (error instanceof InvalidSkill) throw error;
    throw new InvalidSkill(`the data is not a readable zip (${(error as Error).message})`);
  }
  const files = new Map<string, string>();
  let total = 0;
  const names = Object.keys(unpacked);
  const roots = new Set(names.map((n) => n.split("/")[0]));
  const strip = roots.size === 1 && names.every((n) => n.includes("/")) ? `${[...roots][0]}/` : "";
  for (const [name, content] of Object.entries(unpacked)) {
    total += content.byteLength;
    if (total > limits.maxUnpackedBytes)
      throw new InvalidSkill(`the zip unpacks to more than ${limits.maxUnpackedBytes} bytes`);
    files.set(name.slice(strip.length), new TextDecoder().decode(content));
  }
  return files;
}

/** The id the VLM Run SDK derives for an inline skill: inline_<sha256(data)[:16]>. */
export function inlineSkillId(data: Uint8Array): string {
  return `inline_${createHash("sha256").update(data).digest("hex").slice(0, 16)}`;
}
