import { gzipSync } from "node:zlib";
import type { MediaLimits } from "../../config.js";
import { simpleHttpError } from "../http/http-error.js";
import { sendHttpError } from "../http/respond.js";
import { writable } from "../http/types.js";
import type { RouteHandler } from "../router.js";
import { type Asset, etagOf, sendAsset } from "./assets.js";

/** What the page needs to know before its first call: the caps it checks attachments against. */
export interface PlaygroundSettings {
  maxBodyBytes: number;
  media: MediaLimits;
}

/**
 * The page talks only to its own origin; artifacts arrive as blob: URLs and previews as data:
 * URLs. No inline script, so a reflected string can never run.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const CONFIG_MARKER = "<!--orion-settings-->";

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

/** index.html with the settings put in a meta tag (read by the page, never executed). */
function withSettings(index: Asset, settings: PlaygroundSettings): Asset {
  const meta = `<meta name="orion-settings" content="${escapeAttribute(JSON.stringify(settings))}">`;
  const body = Buffer.from(index.body.toString("utf8").replace(CONFIG_MARKER, meta));
  return { ...index, body, gzip: gzipSync(body), etag: etagOf(body), immutable: false };
}

const NOT_BUILT = Buffer.from(
  "<!doctype html><title>Orion Server</title><p>The playground is not built. Run <code>npm run build</code> " +
    "(or <code>npm ci</code>, which builds it) and restart the server.</p>",
);

/** Serves the built playground: `/` and its files, nothing else. */
export function playgroundRoutes(assets: Map<string, Asset> | undefined, settings: PlaygroundSettings) {
  const index = assets?.get("/index.html");
  const page = index && withSettings(index, settings);
  const home: RouteHandler = ({ req, res }) => {
    if (!page) {
      writable(res).writeHead(503, {
        "content-type": "text/html; charset=utf-8",
        "content-length": String(NOT_BUILT.length),
      });
      writable(res).end(NOT_BUILT);
      return;
    }
    sendAsset(req, res, page, {
      "content-security-policy": PAGE_CSP,
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
    });
  };
  const file: RouteHandler = ({ req, res, path }) => {
    const asset = assets?.get(path);
    if (!asset || path === "/index.html") {
      sendHttpError(res, simpleHttpError(404, "not_found", `no file at ${path}`));
      return;
    }
    sendAsset(req, res, asset);
  };
  return { home, file };
}
