import type { z } from "zod";
import { PURPOSES } from "../../files/file-service.js";
import { MAX_EXPIRATION_SECONDS } from "../../files/upload-urls.js";
import {
  FileDeletedJson,
  FileListJson,
  FileObjectJson,
  PresignedUploadJson,
} from "../rest/contract/response-schemas.js";
import { presignedRequestSchema } from "../rest/files/file-requests.js";

type JsonSchema = Record<string, unknown>;

/** What openapi.ts lends: its schema conversion and its shared pieces. */
export interface DocHelpers {
  schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema;
  json(schema: z.ZodType): unknown;
  errors(): Record<string, unknown>;
  pathParam(name: string, description: string): unknown;
  queryParam(name: string, description: string, required?: boolean): unknown;
}

const signedIn = [{ bearer: [] }];
const TAG = "files";

/** The Files API's paths (hand-written routes: multipart and the raw PUT have no proto binding). */
export function filesPaths(h: DocHelpers) {
  const op = (
    summary: string,
    status: string,
    description: string,
    content: unknown,
    extra: Record<string, unknown> = {},
  ) => ({
    summary,
    tags: [TAG],
    ...extra,
    responses: { [status]: { description, content }, ...h.errors() },
    security: signedIn,
  });
  const fileId = [h.pathParam("id", 'The file\'s id, e.g. "file-0123…"')];
  const purpose = {
    name: "purpose",
    in: "query",
    required: false,
    description: "What the file is for (default assistants)",
    schema: { type: "string", enum: [...PURPOSES] },
  };
  return {
    "/v1/files": {
      post: op(
        "Upload a file (multipart/form-data, a `file` part; 413 past ORION_FILE_MAX_BYTES)",
        "201",
        "The file (the same content uploaded before answers with that file)",
        h.json(FileObjectJson),
        {
          parameters: [purpose],
          requestBody: {
            required: true,
            content: {
              "multipart/form-data": {
                schema: {
                  type: "object",
                  required: ["file"],
                  properties: {
                    file: { type: "string", contentMediaType: "application/octet-stream" },
                    purpose: {
                      type: "string",
                      enum: [...PURPOSES],
                      description: "Also accepted here, before the file part",
                    },
                  },
                },
              },
            },
          },
        },
      ),
      get: op("The caller's files, newest first", "200", "Files", h.json(FileListJson), {
        parameters: [
          h.queryParam("skip", "How many to skip (default 0)", false),
          h.queryParam("limit", "How many at most, 1 to 1000 (default 10)", false),
        ],
      }),
    },
    "/v1/files/{id}": {
      get: op("One of the caller's files", "200", "The file", h.json(FileObjectJson), { parameters: fileId }),
      delete: op("Delete a file and its content", "200", "The file deleted", h.json(FileDeletedJson), {
        parameters: fileId,
      }),
    },
    "/v1/files/{id}/content": {
      get: op(
        "A file's bytes, with the type found in them",
        "200",
        "The bytes",
        {
          "application/octet-stream": {
            schema: { type: "string", contentMediaType: "application/octet-stream" },
          },
        },
        { parameters: fileId },
      ),
    },
    "/v1/files/hash/{md5}": {
      get: op(
        "The caller's file with this MD5 (the SDKs check before uploading)",
        "200",
        "The file",
        h.json(FileObjectJson),
        {
          parameters: [h.pathParam("md5", "32 hexadecimal digits")],
        },
      ),
    },
    "/v1/files/presigned-url": {
      post: op(
        "A single-use URL on this server to PUT a large file to",
        "200",
        "The upload URL",
        h.json(PresignedUploadJson),
        {
          requestBody: {
            required: true,
            content: { "application/json": { schema: h.schemaOf(presignedRequestSchema, "input") } },
          },
        },
      ),
    },
    "/v1/files/uploads/{id}": {
      put: {
        summary: `The bytes of a presigned upload; the URL's signature is the credential (403 when tampered, expired after \`expiration\` seconds up to ${MAX_EXPIRATION_SECONDS}, or used)`,
        tags: [TAG],
        parameters: [
          h.pathParam("id", "The upload's id"),
          h.queryParam("expires", "Unix time the URL expires (signed)"),
          h.queryParam("signature", "HMAC-SHA256 of the id and expiry"),
        ],
        requestBody: {
          required: true,
          content: {
            "application/octet-stream": {
              schema: { type: "string", contentMediaType: "application/octet-stream" },
            },
          },
        },
        responses: { "200": { description: "The file", content: h.json(FileObjectJson) }, ...h.errors() },
        security: [{}],
      },
    },
    "/v1/files/verify-upload/{id}": {
      get: op(
        "The file a presigned upload made (409 until the PUT is done)",
        "200",
        "The file",
        h.json(FileObjectJson),
        {
          parameters: [h.pathParam("id", "The upload's id")],
        },
      ),
    },
  };
}
