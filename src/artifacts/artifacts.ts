import { randomBytes } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { guardStore, Reason, reasonError } from "../errors.js";
import type { Store } from "../store/store.js";

export interface ArtifactMeta {
  id: string;
  contentType: string;
  size: number;
  filename: string;
  createdAt: number;
}

/** Orion's reference prefixes: img_, vid_, aud_, doc_, recon_, arr_, url_. */
export function prefixFor(contentType: string): string {
  if (contentType.startsWith("image/")) return "img";
  if (contentType.startsWith("video/")) return "vid";
  if (contentType.startsWith("audio/")) return "aud";
  if (contentType === "text/uri-list") return "url";
  if (contentType === "application/x-npy") return "arr";
  if (contentType === "application/x-spz" || contentType === "model/gltf-binary") return "recon";
  return "doc";
}

const ID = /^(img|vid|aud|doc|recon|arr|url)_[0-9a-f]{6}$/;

/** The kinds of file tools take (their `needs`). */
export type FileKind = "image" | "video" | "audio" | "document";

const KIND_BY_PREFIX: Record<string, FileKind> = { img: "image", vid: "video", aud: "audio" };

/** The kind of file a content type is stored as (by the id prefix it gets). */
export function kindOfContentType(contentType: string): FileKind {
  return KIND_BY_PREFIX[prefixFor(contentType)] ?? "document";
}

/**
 * The kind of file an artifact id names ("img_…" → image, "doc_…" → document); undefined for
 * other references (arrays, reconstructions, URL lists) and for what is no artifact id.
 */
export function kindOfId(ref: string): FileKind | undefined {
  const id = parseArtifactId(ref);
  const prefix = id?.slice(0, id.indexOf("_"));
  return prefix === "doc" ? "document" : prefix === undefined ? undefined : KIND_BY_PREFIX[prefix];
}

/** "doc_a1b2c3.pdf" → "doc_a1b2c3"; undefined when it is not an artifact reference. */
export function parseArtifactId(ref: string): string | undefined {
  const id = ref.replace(/\.[A-Za-z0-9]{1,8}$/, "");
  return ID.test(id) ? id : undefined;
}

export interface ArtifactLimits {
  maxBytes: number;
  ttlMs: number;
}

/** Generated and ingested files, stored per owner and session (a scope), referenced by id. */
export class Artifacts {
  constructor(
    private readonly store: Store,
    private readonly limits: ArtifactLimits,
  ) {}

  /** The largest artifact kept (ORION_ARTIFACT_MAX_BYTES). */
  get maxBytes(): number {
    return this.limits.maxBytes;
  }

  static scope(owner: string, sessionId: string): string {
    return `${owner}|${sessionId}`;
  }

  async put(scope: string, data: Uint8Array, contentType: string, filename = ""): Promise<ArtifactMeta> {
    if (data.byteLength > this.limits.maxBytes) {
      throw reasonError(
        Code.InvalidArgument,
        Reason.tooLarge,
        `an artifact of ${data.byteLength} bytes is larger than ${this.limits.maxBytes} (ORION_ARTIFACT_MAX_BYTES)`,
      );
    }
    const meta: ArtifactMeta = {
      id: `${prefixFor(contentType)}_${randomBytes(3).toString("hex")}`,
      contentType,
      size: data.byteLength,
      filename,
      createdAt: Date.now(),
    };
    await guardStore("artifact store", () =>
      this.store.putArtifact(scope, meta.id, JSON.stringify(meta), data, this.limits.ttlMs),
    );
    return meta;
  }

  async get(scope: string, ref: string): Promise<{ meta: ArtifactMeta; data: Uint8Array } | undefined> {
    const id = parseArtifactId(ref);
    if (!id) return undefined;
    const found = await guardStore("artifact store", () => this.store.getArtifact(scope, id));
    return found && { meta: JSON.parse(found.meta) as ArtifactMeta, data: found.data };
  }

  async list(scope: string): Promise<ArtifactMeta[]> {
    const all = await guardStore("artifact store", () => this.store.listArtifacts(scope));
    return Object.values(all)
      .map((m) => JSON.parse(m) as ArtifactMeta)
      .sort((a, b) => a.createdAt - b.createdAt);
  }
}
