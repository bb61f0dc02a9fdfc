import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { packageRoot } from "../../runtime/package-root.js";
import { simpleHttpError } from "../http/http-error.js";
import { sendHttpError } from "../http/respond.js";
import { type Asset, assetOf, sendAsset } from "../playground/assets.js";
import type { RouteHandler } from "../router.js";
import { openApiDocument } from "./openapi.js";

/** Swagger UI sets inline styles as it renders; scripts come from this origin only. */
const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Orion Server API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#docs", deepLinking: true, tryItOutEnabled: true });\n`;

/** The Swagger UI files, from the npm package (never a CDN), read on first use and kept. */
function swaggerFiles(): Map<string, Asset> {
  const require = createRequire(path.join(packageRoot, "package.json"));
  const dir = path.dirname(require.resolve("swagger-ui-dist/package.json"));
  return new Map([
    ["/docs/swagger-ui.css", assetOf("swagger-ui.css", readFileSync(path.join(dir, "swagger-ui.css")))],
    [
      "/docs/swagger-ui-bundle.js",
      assetOf("swagger-ui-bundle.js", readFileSync(path.join(dir, "swagger-ui-bundle.js"))),
    ],
    ["/docs/init.js", assetOf("init.js", Buffer.from(INIT))],
  ]);
}

/** GET /openapi.json (the OpenAPI 3.1 document of every REST route) and the /docs page rendering it. */
export function docsRoutes(version: string) {
  let spec: Asset | undefined;
  let files: Map<string, Asset> | undefined;
  const page = assetOf("index.html", Buffer.from(PAGE));
  const openapi: RouteHandler = ({ req, res }) => {
    spec ??= assetOf("openapi.json", Buffer.from(JSON.stringify(openApiDocument(version))));
    sendAsset(req, res, spec, { "access-control-allow-origin": "*" });
  };
  const docs: RouteHandler = ({ req, res }) => {
    sendAsset(req, res, page, { "content-security-policy": DOCS_CSP, "referrer-policy": "no-referrer" });
  };
  const file: RouteHandler = ({ req, res, path: at }) => {
    files ??= swaggerFiles();
    const asset = files.get(at);
    if (!asset) {
      sendHttpError(res, simpleHttpError(404, "not_found", `no file at ${at}`));
      return;
    }
    sendAsset(req, res, asset);
  };
  return { openapi, docs, file };
}
