import busboy from "busboy";
import {
  EmptyFile,
  FileTooLarge,
  OwnerFull,
  TooManyUploads,
  type UploadMeta,
} from "../../../files/file-service.js";
import { UploadUrlRefused } from "../../../files/upload-urls.js";
import type { StoredFile } from "../../../store/file-storage.js";
import { BodyTooLarge, readBody, refuseBody } from "../../http/body.js";
import type { Exchange } from "../../http/exchange.js";
import { type HttpError, httpErrorOf, simpleHttpError, validationHttpError } from "../../http/http-error.js";
import { sendHttpError, sendJson } from "../../http/respond.js";
import { headerOf, type NodeRequest } from "../../http/types.js";
import { locIssues } from "../contract/validation-issues.js";
import { fileJson, presignedJson } from "./file-json.js";
import { cleanFilename, presignedRequestSchema, purposeIssue } from "./file-requests.js";
import { type FilesRouteDeps, signedInOwner } from "./files-access.js";

/** Room for the multipart framing and small fields around the file part. */
const MULTIPART_OVERHEAD = 64 * 1024;
/** The presigned-url request is a small JSON object. */
const PRESIGN_BODY_BYTES = 16 * 1024;

/** The request's bytes as an async iterable that leaves the request open when the reader stops early. */
function chunksOf(stream: NodeRequest | NodeJS.ReadableStream): AsyncIterable<Uint8Array> {
  return (stream as import("node:stream").Readable).iterator({ destroyOnReturn: false });
}

/** The HTTP error for an upload the service refused, or undefined for an unexpected failure. */
function uploadRefusal(error: unknown): HttpError | undefined {
  if (error instanceof FileTooLarge) return simpleHttpError(413, "file_too_large", error.message);
  if (error instanceof OwnerFull) return simpleHttpError(413, "files_quota_exceeded", error.message);
  if (error instanceof TooManyUploads) return simpleHttpError(429, "too_many_uploads", error.message);
  if (error instanceof EmptyFile) {
    return validationHttpError([{ loc: ["body", "file"], msg: error.message, type: "value_error" }]);
  }
  return undefined;
}

/** Answers, reading and dropping what is left of the body (as for chats) so the client sees it. */
function refuse(x: Exchange, error: HttpError, limit: number) {
  refuseBody(x.req, limit);
  sendHttpError(x.res, error);
}

type Outcome = { file: StoredFile } | { error: HttpError; reading: boolean };

/**
 * POST /v1/files: `multipart/form-data` with a `file` part, streamed into the store in chunks as
 * it arrives (never held whole). `purpose` comes from the query, or a form field before the file.
 */
export function uploadRoute(deps: FilesRouteDeps) {
  return async (x: Exchange) => {
    const limit = deps.files.config.maxBytes + MULTIPART_OVERHEAD;
    const owner = signedInOwner(x);
    if (!owner) return refuseBody(x.req, limit);
    const contentType = headerOf(x.req, "content-type") ?? "";
    if (!/^multipart\/form-data\s*;/i.test(contentType)) {
      const given = contentType ? `not ${contentType.slice(0, 100)}` : "and none was given";
      return refuse(
        x,
        simpleHttpError(
          415,
          "unsupported_media_type",
          `an upload must be multipart/form-data with a "file" part, ${given}`,
        ),
        limit,
      );
    }
    const queryPurpose = new URL(x.req.url ?? "/", "http://x").searchParams.get("purpose");
    const queryIssue = queryPurpose === null ? undefined : purposeIssue(queryPurpose, ["query", "purpose"]);
    if (queryIssue) return refuse(x, validationHttpError([queryIssue]), limit);
    const declared = Number(headerOf(x.req, "content-length"));
    if (Number.isFinite(declared) && declared > limit) {
      return refuse(
        x,
        simpleHttpError(413, "file_too_large", new BodyTooLarge(limit, "ORION_FILE_MAX_BYTES").message),
        limit,
      );
    }
    const outcome = await receiveMultipart(deps, x, owner, contentType, queryPurpose);
    if ("file" in outcome) return sendJson(x.res, 201, fileJson(outcome.file));
    if (outcome.reading) refuseBody(x.req, limit);
    sendHttpError(x.res, outcome.error);
  };
}

function receiveMultipart(
  deps: FilesRouteDeps,
  x: Exchange,
  owner: string,
  contentType: string,
  queryPurpose: string | null,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      x.req.unpipe(parser);
      resolve(outcome);
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { ...x.req.headers, "content-type": contentType },
        limits: { files: 1, fields: 20, fieldSize: 4096, parts: 40, headerPairs: 100 },
      });
    } catch (error) {
      refuseBody(x.req, 0);
      resolve({
        error: simpleHttpError(400, "malformed_multipart", (error as Error).message),
        reading: false,
      });
      return;
    }
    let fieldPurpose: string | undefined;
    let upload: Promise<StoredFile> | undefined;
    parser.on("field", (name, value) => {
      if (name === "purpose" && !upload) fieldPurpose = value;
    });
    parser.on("file", (name, stream, info) => {
      if (name !== "file" || upload) {
        stream.resume();
        return;
      }
      const purpose = queryPurpose ?? fieldPurpose ?? "assistants";
      const issue = purposeIssue(purpose, ["body", "purpose"]);
      if (issue) {
        stream.resume();
        finish({ error: validationHttpError([issue]), reading: true });
        return;
      }
      const meta: UploadMeta = {
        path: "multipart",
        filename: cleanFilename(info.filename),
        purpose,
        claimedType: info.mimeType,
      };
      // A client that goes away mid-file ends the part too, so the upload stops and drops its chunks.
      x.req.once("close", () => {
        if (!x.req.complete) stream.destroy(new Error("the client aborted the upload"));
      });
      upload = deps.files.upload(owner, chunksOf(stream), meta);
      upload.catch((error: unknown) => {
        const refusal = uploadRefusal(error);
        finish({ error: refusal ?? httpErrorOf(error), reading: true });
        if (!refusal) deps.logger.error({ req_id: x.requestId, err: error }, "upload failed");
      });
    });
    parser.on("close", () => {
      if (!upload) {
        finish({
          error: validationHttpError([
            { loc: ["body", "file"], msg: 'Field required: a file part named "file"', type: "missing" },
          ]),
          reading: false,
        });
        return;
      }
      upload.then(
        (file) => finish({ file }),
        () => {},
      );
    });
    parser.on("error", (error: Error) => {
      finish({
        error: simpleHttpError(
          400,
          "malformed_multipart",
          `the multipart body cannot be read: ${error.message}`,
        ),
        reading: true,
      });
    });
    x.req.on("aborted", () =>
      finish({ error: simpleHttpError(400, "aborted", "the client aborted the upload"), reading: false }),
    );
    x.req.pipe(parser);
  });
}

/** POST /v1/files/presigned-url: a single-use, expiring URL on this server to PUT a file to. */
export function presignRoute(deps: FilesRouteDeps) {
  return async (x: Exchange) => {
    const owner = signedInOwner(x);
    if (!owner) return refuseBody(x.req, PRESIGN_BODY_BYTES);
    let raw: Buffer;
    try {
      raw = await readBody(x.req, PRESIGN_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLarge)
        sendHttpError(x.res, simpleHttpError(413, "request_too_large", error.message));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString("utf8") || "{}");
    } catch (error) {
      const msg = `JSON decode error: ${(error as Error).message}`;
      return sendHttpError(x.res, validationHttpError([{ loc: ["body"], msg, type: "json_invalid" }]));
    }
    const parsed = presignedRequestSchema.safeParse(json);
    if (!parsed.success) return sendHttpError(x.res, validationHttpError(locIssues(parsed.error.issues)));
    const issue = purposeIssue(parsed.data.purpose, ["body", "purpose"]);
    if (issue) return sendHttpError(x.res, validationHttpError([issue]));
    const { filename, purpose, expiration, bytes } = parsed.data;
    const { pending, path } = await deps.uploads.create(owner, {
      filename: cleanFilename(filename),
      purpose,
      contentType: parsed.data.content_type ?? "application/octet-stream",
      expirationSeconds: expiration,
      ...(bytes !== undefined ? { bytes } : {}),
    });
    sendJson(x.res, 200, presignedJson(pending, `${originOf(x, deps.trustProxy)}${path}`, expiration));
  };
}

/** Where the client reached this server: the Host (or :authority), with X-Forwarded-Proto when trusted. */
function originOf(x: Exchange, trustProxy: boolean): string {
  const host = headerOf(x.req, "host") ?? headerOf(x.req, ":authority") ?? "localhost";
  const forwarded = trustProxy ? headerOf(x.req, "x-forwarded-proto")?.split(",")[0]?.trim() : undefined;
  const scheme = forwarded === "https" || forwarded === "http" ? forwarded : "http";
  return `${scheme}://${host}`;
}

/**
 * PUT /v1/files/uploads/{id}?expires=…&signature=…: the raw bytes of a presigned upload, streamed
 * into the store. The signature is the credential: a bad, expired or used URL is a 403.
 */
export function putUploadRoute(deps: FilesRouteDeps) {
  return async (x: Exchange, { id = "" }: Record<string, string>) => {
    const query = new URL(x.req.url ?? "/", "http://x").searchParams;
    let pending: Awaited<ReturnType<typeof deps.uploads.claim>>;
    try {
      pending = await deps.uploads.claim(id, query.get("expires"), query.get("signature"));
    } catch (error) {
      const answer =
        error instanceof UploadUrlRefused
          ? simpleHttpError(403, "upload_url_refused", error.message)
          : httpErrorOf(error);
      return refuse(x, answer, deps.files.config.maxBytes);
    }
    const limit = Math.min(pending.bytes ?? Number.POSITIVE_INFINITY, deps.files.config.maxBytes);
    const limitSource =
      pending.bytes !== undefined ? "the size declared for this upload" : "ORION_FILE_MAX_BYTES";
    const declared = Number(headerOf(x.req, "content-length"));
    if (Number.isFinite(declared) && declared > limit) {
      await deps.uploads.release(id);
      return refuse(
        x,
        simpleHttpError(413, "file_too_large", new FileTooLarge(limit, limitSource).message),
        limit,
      );
    }
    try {
      const file = await deps.files.upload(pending.owner, chunksOf(x.req), {
        path: "presigned",
        id: pending.id,
        filename: pending.filename,
        purpose: pending.purpose,
        claimedType: headerOf(x.req, "content-type") ?? pending.contentType,
        ...(pending.bytes !== undefined ? { maxBytes: pending.bytes, limitSource } : {}),
      });
      await deps.uploads.complete(pending, file.id);
      sendJson(x.res, 200, fileJson(file));
    } catch (error) {
      await deps.uploads.release(id);
      const refusal = uploadRefusal(error);
      if (!refusal) throw error;
      refuse(x, refusal, limit);
    }
  };
}
