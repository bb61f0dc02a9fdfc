import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

/** One built file, held in memory: the set is small (tens of kB) and fixed for the process's life. */
export interface Asset {
  body: Buffer;
  gzip?: Buffer;
  contentType: string;
  etag: string;
  /** Hashed file names never change content, so they may be cached for good. */
  immutable: boolean;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".map": "application/json",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

const COMPRESSIBLE = new Set([".html", ".js", ".css", ".svg", ".json", ".map", ".txt"]);

/** A strong ETag from the content itself. */
export function etagOf(body: Buffer): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
}

/**
 * Reads the built playground once. Serving only the files listed here (by exact URL path) means
 * no request path ever reaches the file system, so traversal is impossible by construction.
 */
export function loadAssets(dir: string): Map<string, Asset> | undefined {
  if (!existsSync(path.join(dir, "index.html"))) return undefined;
  const assets = new Map<string, Asset>();
  const walk = (sub: string) => {
    for (const name of readdirSync(path.join(dir, sub))) {
      const rel = sub === "" ? name : `${sub}/${name}`;
      const full = path.join(dir, rel);
      if (statSync(full).isDirectory()) {
        walk(rel);
        continue;
      }
      const ext = path.extname(name).toLowerCase();
      const body = readFileSync(full);
      assets.set(`/${rel}`, {
        body,
        gzip: COMPRESSIBLE.has(ext) && body.length > 512 ? gzipSync(body) : undefined,
        contentType: CONTENT_TYPES[ext] ?? "application/octet-stream",
        etag: etagOf(body),
        immutable: rel.startsWith("assets/"),
      });
    }
  };
  walk("");
  return assets;
}
