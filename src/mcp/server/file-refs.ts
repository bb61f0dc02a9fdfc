import { fileTypeFromBuffer } from "file-type";
import {
  type ArtifactMeta,
  type Artifacts,
  kindOfContentType,
  parseArtifactId,
} from "../../artifacts/artifacts.js";
import type { FetchPolicy, MediaKind, MediaLimits } from "../../config.js";
import { ToolError } from "../../errors.js";
import type { FileService } from "../../files/file-service.js";
import { parseDataUrl, toDataUrl } from "../../media/data-url.js";
import { FetchRefused, guardedFetch } from "../../media/guarded-fetch.js";
import { ImageRefused, imageMetadata } from "../../media/image-pixels.js";
import { MediaRejected, partBytes } from "../../media/part-bytes.js";

/**
 * The Files API's hook: the bytes of a caller's uploaded file by its id ("file-…"), or undefined
 * when the caller has no such file (app.ts gives filesApiResolver; tests may give their own).
 */
export type FileIdResolver = (
  owner: string,
  fileId: string,
  signal: AbortSignal,
) => Promise<{ data: Uint8Array; contentType: string; filename: string } | undefined>;

/**
 * The Files API as the resolver: the caller's own file, refused past `maxBytes` (the artifact cap,
 * as chats refuse it) before its bytes are read.
 */
export function filesApiResolver(files: FileService, maxBytes: number): FileIdResolver {
  return async (owner, fileId) => {
    const file = await files.get(owner, fileId);
    if (!file) return undefined;
    if (file.bytes > maxBytes)
      throw new ToolError(`file ${fileId} is ${file.bytes} bytes, more than the ${maxBytes} a tool takes`);
    return { data: await files.bytes(file), contentType: file.contentType, filename: file.filename };
  };
}

/** What the Files API's ids look like (OpenAI's spelling, which the hosted API uses too). */
const FILE_ID = /^file-[A-Za-z0-9_-]{1,128}$/;

export interface FileRefDeps {
  artifacts: Artifacts;
  config: { fetch: FetchPolicy; media: MediaLimits };
  fileIds?: FileIdResolver;
}

/**
 * Turns what an MCP client may give for a file (a `data:` URL, an `https` URL fetched through the
 * URL guard, a Files API id, or an artifact id of this caller's MCP scope) into an artifact of
 * that scope, checking that its content is the kind the argument takes. Every failure is a
 * ToolError the client reads as an `isError` result.
 */
export class FileRefs {
  /** Bytes ingested by this call so far: one call may bring at most the media total. */
  private total = 0;

  constructor(
    private readonly deps: FileRefDeps,
    private readonly owner: string,
    readonly scope: string,
    private readonly signal: AbortSignal,
  ) {}

  /** An artifact id of the given kind (or of whatever kind the bytes are, when `kind` is unset). */
  async resolve(ref: string, field: string, kind?: MediaKind): Promise<ArtifactMeta> {
    const id = parseArtifactId(ref);
    if (id) return this.artifact(id, field, kind);
    if (FILE_ID.test(ref)) return this.fileId(ref, field, kind);
    if (/^(data:|https?:\/\/)/i.test(ref)) return this.url(ref, field, kind);
    throw new ToolError(
      `${field}: give a data: URL, an https URL, a file id ("file-…") or an artifact id ("img_…"), not ${JSON.stringify(ref.slice(0, 60))}`,
    );
  }

  private async artifact(id: string, field: string, kind: MediaKind | undefined): Promise<ArtifactMeta> {
    const found = await this.deps.artifacts.get(this.scope, id);
    if (!found) throw new ToolError(`${field}: artifact ${id} not found`);
    this.expectKind(found.meta.contentType, field, kind);
    return found.meta;
  }

  private async fileId(fileId: string, field: string, kind: MediaKind | undefined): Promise<ArtifactMeta> {
    const file = await this.deps.fileIds?.(this.owner, fileId, this.signal);
    if (!file) throw new ToolError(`${field}: file ${fileId} not found`);
    const mediaType = (await fileTypeFromBuffer(file.data))?.mime ?? file.contentType;
    return this.url(toDataUrl(mediaType, file.data), field, kind, file.filename);
  }

  private async url(url: string, field: string, kind: MediaKind | undefined, filename = "") {
    const { kind: wanted, url: source } = kind ? { kind, url } : await this.sniff(url, field);
    let bytes: Awaited<ReturnType<typeof partBytes>>;
    try {
      bytes = await partBytes(source, wanted, this.deps.config.fetch, this.deps.config.media, this.signal);
      if (wanted === "image") await imageMetadata(bytes.data);
    } catch (error) {
      if (error instanceof MediaRejected || error instanceof ImageRefused)
        throw new ToolError(`${field}: ${error.message}`);
      throw error;
    }
    this.total += bytes.data.byteLength;
    if (this.total > this.deps.config.media.total)
      throw new ToolError(
        `${field}: the files of this call add up to more than ${this.deps.config.media.total} bytes`,
      );
    return this.deps.artifacts.put(
      this.scope,
      new Uint8Array(bytes.data),
      bytes.mediaType,
      filename || field,
    );
  }

  private expectKind(contentType: string, field: string, kind: MediaKind | undefined) {
    if (kind && kindOfContentType(contentType) !== kind)
      throw new ToolError(`${field}: it is ${contentType}, not ${kind === "image" ? "an" : "a"} ${kind}`);
  }

  /**
   * The kind of a file given where any kind goes (orion_chat's `files`): a data: URL's bytes are
   * sniffed; a remote file is fetched once through the guard, sniffed, and handed on as a data: URL.
   */
  private async sniff(url: string, field: string): Promise<{ kind: MediaKind; url: string }> {
    let data: Uint8Array;
    let claimed: string;
    const inline = parseDataUrl(url);
    if (inline) ({ data, mediaType: claimed } = inline);
    else {
      try {
        const policy = {
          ...this.deps.config.fetch,
          maxBytes: Math.min(this.deps.config.fetch.maxBytes, this.deps.config.media.total),
        };
        ({ data, contentType: claimed } = await guardedFetch(url, policy, this.signal));
      } catch (error) {
        if (error instanceof FetchRefused) throw new ToolError(`${field}: cannot fetch it: ${error.message}`);
        throw error;
      }
    }
    const kind = kindOfContentType((await fileTypeFromBuffer(data))?.mime ?? claimed);
    return { kind, url: inline ? url : toDataUrl(claimed, data) };
  }
}
