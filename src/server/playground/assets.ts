import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { headerOf, type NodeRequest, type NodeResponse, writable } from "../http/types.js";

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

/** A file's bytes as an asset: its type from its name, gzipped once when that pays. */
export function assetOf(name: string, body: Buffer, immutable = false): Asset {
  const ext = path.extname(name).toLowerCase();
  return {
    body,
    gzip: COMPRESSIBLE.has(ext) && body.length > 512 ? gzipSync(body) : undefined,
    contentType: CONTENT_TYPES[ext] ?? "application/octet-stream",
    etag: etagOf(body),
    immutable,
  };
}

/** Sends an asset: 304 on a matching ETag, gzip when the client takes it, no body for HEAD. */
export function sendAsset(
  req: NodeRequest,
  res: NodeResponse,
  asset: Asset,
  extra: Record<string, string> = {},
) {
  const w = writable(res);
  const headers: Record<string, string> = {
    ...extra,
    "content-type": asset.contentType,
    etag: asset.etag,
    "x-content-type-options": "nosniff",
    "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    vary: "Accept-Encoding",
  };
  if (headerOf(req, "if-none-match") === asset.etag) {
    w.writeHead(304, headers);
    w.end();
    return;
  }
  const gzip = asset.gzip !== undefined && /\bgzip\b/.test(headerOf(req, "accept-encoding") ?? "");
  const body = gzip ? (asset.gzip as Buffer) : asset.body;
  if (gzip) headers["content-encoding"] = "gzip";
  headers["content-length"] = String(body.length);
  w.writeHead(200, headers);
  w.end(req.method === "HEAD" ? undefined : body);
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
      assets.set(`/${rel}`, assetOf(name, readFileSync(full), rel.startsWith("assets/")));
    }
  };
  walk("");
  return assets;
}
