import type { NodeRequest } from "./types.js";

export class BodyTooLarge extends Error {
  /** `source` says where the limit comes from (the setting), when the caller should know. */
  constructor(
    readonly limit: number,
    source?: string,
  ) {
    super(`request body is larger than ${limit} bytes${source ? ` (${source})` : ""}`);
  }
}

/** How much of a refused upload is read and dropped before the connection is cut. */
const DISCARD_BYTES = 64 * 1024 * 1024;

/**
 * Reads a request body, stopping at `limit` bytes (checked against Content-Length first). Past the
 * limit the rest of the upload is read and thrown away, up to max(limit, 64 MiB) more bytes, so the
 * client can finish sending and read the 413 instead of meeting a reset; a larger upload is cut.
 */
export function readBody(req: NodeRequest, limit: number, source?: string): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    refuseBody(req, limit);
    return Promise.reject(new BodyTooLarge(limit, source));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        refuseBody(req, limit);
        reject(new BodyTooLarge(limit, source));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.once("error", reject);
    req.once("aborted", () => reject(new Error("client aborted the request")));
  });
}

/** Reads and drops what is left of a request body; past the budget the connection is closed. */
export function refuseBody(req: NodeRequest, limit: number) {
  const budget = Math.max(limit, DISCARD_BYTES);
  let dropped = 0;
  const onData = (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped <= budget) return;
    req.off("data", onData);
    // After the 413 already written in this turn of the event loop.
    setImmediate(() => (req.httpVersionMajor === 1 ? req.socket.destroy() : req.destroy()));
  };
  req.on("data", onData);
  req.on("error", () => {});
  req.resume();
}
