import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { guardStore } from "../errors.js";
import type { Store } from "../store/store.js";
import { FileService } from "./file-service.js";

/** A presigned upload waiting for its PUT (or done: then `fileId` names the file it made). */
export interface PendingUpload {
  id: string;
  owner: string;
  filename: string;
  purpose: string;
  contentType: string;
  /** The size the client declared, if it did: a larger PUT is refused. */
  bytes?: number;
  createdAt: number;
  /** Until when the URL may be used (ms). */
  expiresAt: number;
  fileId?: string;
}

/** Why a PUT to an upload URL is refused (always a 403: the URL is no longer a key to anything). */
export class UploadUrlRefused extends Error {}

export const MAX_EXPIRATION_SECONDS = 7 * 86_400;
/** How long after its URL expires an upload can still be verified. */
const RECORD_GRACE_MS = 86_400_000;
const SECRET_KEY = "file-upload-secret";
const TEN_YEARS_MS = 10 * 365 * 86_400_000;

const recordKey = (id: string) => `file-upload:${id}`;
const claimKey = (id: string) => `file-upload-claim:${id}`;
const guard = <T>(op: () => Promise<T>) => guardStore("file store", op);

/**
 * Presigned uploads on this server: `POST /v1/files/presigned-url` records a pending upload and
 * hands out `/v1/files/uploads/{id}?expires=…&signature=…`, an HMAC-SHA256 over the id and expiry
 * with a key every instance shares (derived from ORION_GUEST_SECRET, or a random one kept in the
 * store). The URL carries no credentials; it is good for one successful PUT before it expires.
 */
export class UploadUrls {
  private secret: Promise<Buffer> | undefined;

  constructor(
    private readonly store: Store,
    private readonly configuredSecret: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  private key(): Promise<Buffer> {
    this.secret ??= (async () => {
      if (this.configuredSecret) {
        return createHmac("sha256", this.configuredSecret).update("orion file upload urls").digest();
      }
      const candidate = randomBytes(32).toString("hex");
      await this.store.putIfAbsent(SECRET_KEY, candidate, TEN_YEARS_MS);
      return Buffer.from((await this.store.get(SECRET_KEY)) ?? candidate, "hex");
    })().catch((error: unknown) => {
      this.secret = undefined;
      throw error;
    });
    return this.secret;
  }

  private async sign(id: string, expires: number): Promise<string> {
    return createHmac("sha256", await this.key())
      .update(`${id}\n${expires}`)
      .digest("hex");
  }

  /** Records the pending upload; the path and query of its URL (the route adds the origin). */
  async create(
    owner: string,
    request: {
      filename: string;
      purpose: string;
      contentType: string;
      expirationSeconds: number;
      bytes?: number;
    },
  ): Promise<{ pending: PendingUpload; path: string }> {
    const createdAt = this.now();
    const expires = Math.floor(createdAt / 1000) + request.expirationSeconds;
    const pending: PendingUpload = {
      id: FileService.newId(),
      owner,
      filename: request.filename,
      purpose: request.purpose,
      contentType: request.contentType,
      ...(request.bytes !== undefined ? { bytes: request.bytes } : {}),
      createdAt,
      expiresAt: expires * 1000,
    };
    const signature = await guard(() => this.sign(pending.id, expires));
    await guard(() =>
      this.store.put(
        recordKey(pending.id),
        JSON.stringify(pending),
        pending.expiresAt - createdAt + RECORD_GRACE_MS,
      ),
    );
    return { pending, path: `/v1/files/uploads/${pending.id}?expires=${expires}&signature=${signature}` };
  }

  /**
   * The pending upload a PUT may fill, claimed for this PUT: a bad or expired signature, an
   * unknown id, or an upload already done or under way is UploadUrlRefused.
   */
  async claim(id: string, expiresParam: string | null, signature: string | null): Promise<PendingUpload> {
    const expires = Number(expiresParam);
    if (!expiresParam || !Number.isInteger(expires) || !signature || !/^[0-9a-f]{64}$/.test(signature)) {
      throw new UploadUrlRefused("the upload URL is not signed");
    }
    const expected = Buffer.from(await guard(() => this.sign(id, expires)), "hex");
    if (!timingSafeEqual(expected, Buffer.from(signature, "hex"))) {
      throw new UploadUrlRefused("the upload URL's signature does not match");
    }
    if (expires * 1000 <= this.now()) throw new UploadUrlRefused("the upload URL has expired");
    const pending = await this.pending(id);
    if (!pending || pending.expiresAt !== expires * 1000) throw new UploadUrlRefused("no such upload");
    if (pending.fileId) throw new UploadUrlRefused("the upload URL has been used already");
    const claimed = await guard(() =>
      this.store.putIfAbsent(claimKey(id), "1", pending.expiresAt - this.now() + RECORD_GRACE_MS),
    );
    if (!claimed) throw new UploadUrlRefused("the upload URL has been used already");
    return pending;
  }

  /** A PUT that failed gives its claim back, so the client may try again while the URL lasts. */
  async release(id: string): Promise<void> {
    await this.store.remove(claimKey(id)).catch(() => {});
  }

  /** Marks the upload done, naming the file it made (its own id, or an identical earlier file's). */
  async complete(pending: PendingUpload, fileId: string): Promise<void> {
    const done: PendingUpload = { ...pending, fileId };
    await guard(() =>
      this.store.put(
        recordKey(pending.id),
        JSON.stringify(done),
        pending.expiresAt - this.now() + RECORD_GRACE_MS,
      ),
    );
  }

  async pending(id: string): Promise<PendingUpload | undefined> {
    const raw = await guard(() => this.store.get(recordKey(id)));
    return raw === undefined ? undefined : (JSON.parse(raw) as PendingUpload);
  }
}
