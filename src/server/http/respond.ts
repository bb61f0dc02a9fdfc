import type { HttpError } from "./http-error.js";
import { type NodeResponse, writable } from "./types.js";

export function sendJson(
  res: NodeResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const payload = JSON.stringify(body);
  writable(res).writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload)),
  });
  writable(res).end(payload);
}

export function sendHttpError(res: NodeResponse, error: HttpError) {
  sendJson(res, error.status, error.body, error.headers);
}
