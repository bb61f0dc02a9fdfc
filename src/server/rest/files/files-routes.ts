import { isMd5 } from "../../../files/file-service.js";
import type { StoredFile } from "../../../store/file-storage.js";
import { drained } from "../../http/drained.js";
import type { Exchange } from "../../http/exchange.js";
import { httpErrorOf, simpleHttpError, validationHttpError } from "../../http/http-error.js";
import { sendHttpError, sendJson } from "../../http/respond.js";
import { writable } from "../../http/types.js";
import type { RouteHandler } from "../../router.js";
import { fileJson } from "./file-json.js";
import { pageOf } from "./file-requests.js";
import { type FileRoute, type FilesRouteDeps, notFound, signedInOwner } from "./files-access.js";
import { presignRoute, putUploadRoute, uploadRoute } from "./upload-routes.js";

/** Runs a handler; a store failure (or any other error the service raises) answers as such. */
function answering(handler: (x: Exchange, params: Record<string, string>) => Promise<void>): RouteHandler {
  return async (x, params) => {
    try {
      await handler(x, params);
    } catch (error) {
      if (x.res.headersSent) throw error;
      sendHttpError(x.res, httpErrorOf(error));
    }
  };
}

/** The owner's file named by the path, or undefined after answering 401 or 404. */
async function ownFile(deps: FilesRouteDeps, x: Exchange, id: string): Promise<StoredFile | undefined> {
  const owner = signedInOwner(x);
  if (!owner) return undefined;
  const file = await deps.files.get(owner, id);
  if (!file) sendHttpError(x.res, notFound(id));
  return file;
}

/** Every Files API route; the fixed paths come before `/v1/files/{id}/…` so they win. */
export function filesRoutes(deps: FilesRouteDeps): FileRoute[] {
  const query = (x: Exchange) => new URL(x.req.url ?? "/", "http://x").searchParams;
  return [
    { method: "POST", path: "/v1/files", name: "files.upload", handler: uploadRoute(deps) },
    {
      method: "GET",
      path: "/v1/files",
      name: "files.list",
      handler: answering(async (x) => {
        const owner = signedInOwner(x);
        if (!owner) return;
        const page = pageOf(query(x));
        if (page.error) return sendHttpError(x.res, page.error);
        const files = await deps.files.list(owner, page.skip, page.limit);
        sendJson(x.res, 200, files.map(fileJson));
      }),
    },
    {
      method: "POST",
      path: "/v1/files/presigned-url",
      name: "files.presign",
      handler: answering(presignRoute(deps)),
    },
    {
      method: "PUT",
      path: "/v1/files/uploads/{id}",
      name: "files.put_upload",
      handler: putUploadRoute(deps),
    },
    {
      method: "GET",
      path: "/v1/files/verify-upload/{id}",
      name: "files.verify_upload",
      handler: answering(async (x, { id = "" }) => {
        const owner = signedInOwner(x);
        if (!owner) return;
        const pending = await deps.uploads.pending(id);
        if (!pending || pending.owner !== owner) return sendHttpError(x.res, notFound(id));
        if (!pending.fileId) {
          return sendHttpError(
            x.res,
            simpleHttpError(
              409,
              "upload_incomplete",
              `upload "${id}" has not been completed: PUT the file to its URL`,
            ),
          );
        }
        const file = await deps.files.get(owner, pending.fileId);
        if (!file) return sendHttpError(x.res, notFound(id));
        sendJson(x.res, 200, fileJson(file));
      }),
    },
    {
      method: "GET",
      path: "/v1/files/hash/{md5}",
      name: "files.by_hash",
      handler: answering(async (x, { md5 = "" }) => {
        const owner = signedInOwner(x);
        if (!owner) return;
        const hash = md5.toLowerCase();
        if (!isMd5(hash)) {
          return sendHttpError(
            x.res,
            validationHttpError([
              {
                loc: ["path", "md5"],
                msg: "must be an MD5 digest: 32 hexadecimal digits",
                type: "string_pattern_mismatch",
              },
            ]),
          );
        }
        const file = await deps.files.findByMd5(owner, hash);
        if (!file)
          return sendHttpError(x.res, simpleHttpError(404, "file_not_found", `no file with MD5 ${hash}`));
        sendJson(x.res, 200, fileJson(file));
      }),
    },
    {
      method: "GET",
      path: "/v1/files/{id}",
      name: "files.get",
      handler: answering(async (x, { id = "" }) => {
        const file = await ownFile(deps, x, id);
        if (file) sendJson(x.res, 200, fileJson(file));
      }),
    },
    {
      method: "DELETE",
      path: "/v1/files/{id}",
      name: "files.delete",
      handler: answering(async (x, { id = "" }) => {
        const owner = signedInOwner(x);
        if (!owner) return;
        const file = await deps.files.remove(owner, id);
        if (!file) return sendHttpError(x.res, notFound(id));
        sendJson(x.res, 200, { ...fileJson(file), deleted: true });
      }),
    },
    {
      method: "GET",
      path: "/v1/files/{id}/content",
      name: "files.content",
      handler: answering(async (x, { id = "" }) => {
        const file = await ownFile(deps, x, id);
        if (file) await sendContent(deps, x, file);
      }),
    },
  ];
}

/**
 * The bytes, chunk by chunk, each written once the client has taken the one before; a client that
 * takes nothing for ORION_STREAM_STALL_TIMEOUT_MS is cut off, as a stream's is.
 */
async function sendContent(deps: FilesRouteDeps, x: Exchange, file: StoredFile) {
  const res = writable(x.res);
  res.writeHead(200, {
    "content-type": file.contentType,
    "content-length": String(file.bytes),
    "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
    "x-content-type-options": "nosniff",
  });
  if (x.req.method === "HEAD") return void res.end();
  try {
    for await (const chunk of deps.files.content(file)) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await drained(res, deps.stallTimeoutMs);
    }
    res.end();
  } catch (error) {
    deps.logger.warn(
      { req_id: x.requestId, err: (error as Error).message, file: file.id },
      "file content cut short",
    );
    res.destroy();
  }
}
