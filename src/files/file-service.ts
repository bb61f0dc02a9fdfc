import { createHash, randomUUID } from "node:crypto";
import { fileTypeFromBuffer } from "file-type";
import type { FilesConfig } from "../config.js";
import { guardStore } from "../errors.js";
import { isTextual } from "../media/part-bytes.js";
import { OwnerSlots } from "../runtime/owner-slots.js";
import type { FileStorage, StoredFile } from "../store/file-storage.js";

/** Content is stored in chunks of this size: no stored value, and no write, holds more. */
export const CHUNK_BYTES = 1024 * 1024;

/** What the hosted API lists as purposes; anything else is a 422. */
export const PURPOSES = [
  "assistants",
  "vision",
  "batch",
  "fine-tune",
  "datasets",
  "user_data",
  "evals",
] as const;

export function isPurpose(value: string): boolean {
  return (PURPOSES as readonly string[]).includes(value);
}

const MD5 = /^[0-9a-f]{32}$/;

export function isMd5(value: string): boolean {
  return MD5.test(value);
}

/** The upload passed a byte limit; nothing of it is kept. */
export class FileTooLarge extends Error {
  constructor(
    readonly limit: number,
    readonly source: string,
  ) {
    super(`the file is larger than ${limit} bytes (${source})`);
  }
}

/** Keeping the file would take its owner past ORION_FILES_MAX_BYTES_PER_OWNER; nothing is kept. */
export class OwnerFull extends Error {
  constructor(
    readonly usedBytes: number,
    readonly limit: number,
    size: number,
  ) {
    super(
      `this file (${size} bytes) would take your files past ${limit} bytes (ORION_FILES_MAX_BYTES_PER_OWNER; ${usedBytes} in use): delete some first`,
    );
  }
}

/** An upload with no bytes: nothing to keep. */
/** The owner already has its most uploads running in this process (each holds a chunk buffer). */
export class TooManyUploads extends Error {
  constructor(readonly limit: number) {
    super(`${limit} uploads of this caller are already running here: wait for one to finish`);
  }
}

export class EmptyFile extends Error {
  constructor() {
    super("the file is empty");
  }
}

/** How an upload ended, for metrics. */
export type UploadOutcome = "created" | "duplicate" | "too_large" | "owner_full" | "empty" | "busy" | "error";
export type UploadObserver = (path: UploadMeta["path"], outcome: UploadOutcome, bytes: number) => void;

export interface UploadMeta {
  /** Which route it came through. */
  path: "multipart" | "presigned";
  filename: string;
  purpose: string;
  /** The type the client claimed (multipart part or PUT header); used only for text, which has no magic number. */
  claimedType?: string;
  /** A lower bound than ORION_FILE_MAX_BYTES for this upload (a presigned URL's declared size). */
  maxBytes?: number;
  limitSource?: string;
  /** The id the file gets unless the same content is already kept (presigned uploads name it up front). */
  id?: string;
}

/** Store work behind a 503 when the store cannot answer, as every other feature does. */
const guard = <T>(op: () => Promise<T>) => guardStore("file store", op);

/**
 * The Files API's service: uploads streamed into chunks (MD5 and type worked out on the way, the
 * caps applied as bytes arrive), deduplicated per owner, read back chunk by chunk. Every method is
 * scoped to an owner: another owner's file id finds nothing.
 */
export class FileService {
  /** Uploads one owner may run at once in this process. */
  static readonly UPLOADS_PER_OWNER = 8;
  private readonly running = new OwnerSlots(FileService.UPLOADS_PER_OWNER);

  constructor(
    private readonly storage: FileStorage,
    readonly config: FilesConfig,
    private readonly observe: UploadObserver = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  static newId(): string {
    return `file-${randomUUID().replaceAll("-", "")}`;
  }

  /**
   * Stores what `source` yields as the owner's file. Past the cap (the file's or what is left of
   * the owner's) it stops, drops what it stored and throws FileTooLarge / OwnerFull. The same
   * content already kept for this owner is answered with that file, stored once.
   */
  async upload(owner: string, source: AsyncIterable<Uint8Array>, meta: UploadMeta): Promise<StoredFile> {
    const done = this.running.take(owner);
    if (!done) {
      this.observe(meta.path, "busy", 0);
      throw new TooManyUploads(FileService.UPLOADS_PER_OWNER);
    }
    try {
      return await this.receive(owner, source, meta);
    } finally {
      done();
    }
  }

  private async receive(
    owner: string,
    source: AsyncIterable<Uint8Array>,
    meta: UploadMeta,
  ): Promise<StoredFile> {
    const id = meta.id ?? FileService.newId();
    const createdAt = this.now();
    const expiresAt = createdAt + this.config.ttlMs;
    const limit = Math.min(meta.maxBytes ?? Number.POSITIVE_INFINITY, this.config.maxBytes);
    const limitSource =
      meta.maxBytes !== undefined && meta.maxBytes < this.config.maxBytes
        ? (meta.limitSource ?? "the declared size")
        : "ORION_FILE_MAX_BYTES";
    const md5 = createHash("md5");
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let filled = 0;
    let chunks = 0;
    let size = 0;
    let contentType: string | undefined;
    const flush = async () => {
      if (filled === 0) return;
      const data = chunk.subarray(0, filled);
      contentType ??= await typeOf(data, meta.claimedType);
      await guard(() => this.storage.putChunk(id, chunks, data, expiresAt));
      // Every store has taken (written or copied) the bytes once putChunk resolves: the buffer is
      // filled again, so a large upload allocates one chunk, not one per megabyte.
      chunks++;
      filled = 0;
    };
    try {
      for await (const piece of source) {
        size += piece.byteLength;
        if (size > limit) throw new FileTooLarge(limit, limitSource);
        md5.update(piece);
        let offset = 0;
        while (offset < piece.byteLength) {
          const n = Math.min(CHUNK_BYTES - filled, piece.byteLength - offset);
          chunk.set(piece.subarray(offset, offset + n), filled);
          filled += n;
          offset += n;
          if (filled === CHUNK_BYTES) await flush();
        }
      }
      await flush();
      if (size === 0) throw new EmptyFile();
      const file: StoredFile = {
        id,
        owner,
        filename: meta.filename,
        purpose: meta.purpose,
        bytes: size,
        md5: md5.digest("hex"),
        contentType: contentType ?? "application/octet-stream",
        chunks,
        createdAt,
        expiresAt,
      };
      const result = await guard(() => this.storage.commit(file, this.config.maxBytesPerOwner));
      if (result.outcome !== "created") await this.dropContent(id, chunks);
      if (result.outcome === "over_quota")
        throw new OwnerFull(result.usedBytes, this.config.maxBytesPerOwner, size);
      this.observe(meta.path, result.outcome, size);
      return result.file;
    } catch (error) {
      if (!(error instanceof OwnerFull)) await this.dropContent(id, chunks + (filled > 0 ? 1 : 0));
      this.observe(meta.path, outcomeOf(error), size);
      throw error;
    }
  }

  private async dropContent(id: string, chunks: number) {
    await this.storage.dropChunks(id, 0, chunks).catch(() => {
      // Left to expire with the chunks' own TTL.
    });
  }

  get(owner: string, id: string) {
    return guard(() => this.storage.get(owner, id));
  }

  findByMd5(owner: string, md5: string) {
    return guard(() => this.storage.findByMd5(owner, md5));
  }

  list(owner: string, skip: number, limit: number) {
    return guard(() => this.storage.list(owner, skip, limit));
  }

  /** Forgets the file, then drops its content; what it was, or undefined. */
  async remove(owner: string, id: string) {
    const file = await guard(() => this.storage.remove(owner, id));
    if (file) await this.dropContent(file.id, file.chunks);
    return file;
  }

  /** The content, chunk by chunk (one store read each, awaited as the consumer pulls). */
  async *content(file: StoredFile): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < file.chunks; i++) {
      const data = await guard(() => this.storage.getChunk(file.id, i));
      if (!data) throw new Error(`file ${file.id} has lost chunk ${i}`);
      yield data;
    }
  }

  /** The whole content in one buffer, for attachments (their caps are checked before this). */
  async bytes(file: StoredFile): Promise<Buffer> {
    const out = Buffer.allocUnsafe(file.bytes);
    let at = 0;
    for await (const data of this.content(file)) {
      out.set(data, at);
      at += data.byteLength;
    }
    return out.subarray(0, at);
  }
}

function outcomeOf(error: unknown): UploadOutcome {
  if (error instanceof FileTooLarge) return "too_large";
  if (error instanceof OwnerFull) return "owner_full";
  if (error instanceof EmptyFile) return "empty";
  return "error";
}

/** The type in the content; for text (no magic number) the claimed textual type when it is UTF-8. */
async function typeOf(first: Uint8Array, claimed: string | undefined): Promise<string> {
  const sniffed = (await fileTypeFromBuffer(first))?.mime;
  if (sniffed) return sniffed;
  const type = claimed?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (isTextual(type) && isUtf8(first)) return type;
  return "application/octet-stream";
}

function isUtf8(data: Uint8Array): boolean {
  try {
    // A chunk may end inside a character: `stream` lets the last one be incomplete.
    new TextDecoder("utf-8", { fatal: true }).decode(data, { stream: true });
    return !data.includes(0);
  } catch {
    return false;
  }
}
