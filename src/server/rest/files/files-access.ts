/** What every Files API route shares: its dependencies, who the caller is, and the 404. */
import type { FileService } from "../../../files/file-service.js";
import type { UploadUrls } from "../../../files/upload-urls.js";
import { ownerOf } from "../../../identity/caller.js";
import type { Logger } from "../../../observability/logger.js";
import type { Exchange } from "../../http/exchange.js";
import { simpleHttpError } from "../../http/http-error.js";
import { sendHttpError } from "../../http/respond.js";
import type { RouteHandler } from "../../router.js";

export interface FilesRouteDeps {
  files: FileService;
  uploads: UploadUrls;
  /** Take the upload URL's scheme from X-Forwarded-Proto (behind a trusted proxy). */
  trustProxy: boolean;
  logger: Logger;
  /** A download whose client takes nothing for this long is cut off. */
  stallTimeoutMs: number;
}

export interface FileRoute {
  method: string;
  path: string;
  name: string;
  handler: RouteHandler;
}

/**
 * The owner a Files API request acts for, or undefined after answering 401: files belong to a
 * signed-in caller (API key or JWT), never to a guest.
 */
export function signedInOwner(x: Exchange): string | undefined {
  if (x.caller && x.caller.kind !== "guest") return ownerOf(x.caller);
  const error = simpleHttpError(
    401,
    "unauthenticated",
    "the Files API needs a signed-in caller: send Authorization: Bearer <API key or token>",
  );
  error.headers["www-authenticate"] = 'Bearer realm="orion"';
  sendHttpError(x.res, error);
  return undefined;
}

export function notFound(id: string) {
  return simpleHttpError(404, "file_not_found", `no file "${id.slice(0, 200)}"`);
}
