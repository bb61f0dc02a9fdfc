import { fileTypeFromBuffer } from "file-type";
import type { FetchPolicy, MediaKind, MediaLimits } from "../config.js";
import { parseDataUrl } from "./data-url.js";
import { FetchRefused, guardedFetch } from "./guarded-fetch.js";

export class MediaRejected extends Error {
  constructor(
    message: string,
    /** FastAPI-style error type for the 422. */
    readonly type: "url_refused" | "too_large" | "type_mismatch" | "unreadable",
  ) {
    super(message);
  }
}

export interface PartBytes {
  data: Buffer;
  /** The type found in the bytes (or, for text without magic numbers, the claimed textual type). */
  mediaType: string;
  /** The kind the content is (the kind asked for, or what an "any" part turned out to be). */
  kind: MediaKind;
}

/** The kind of attachment a content type makes; undefined when it is none the tools take. */
export function kindOfMediaType(mediaType: string): MediaKind | undefined {
  for (const kind of ["image", "video", "audio"] as const) if (mediaType.startsWith(`${kind}/`)) return kind;
  return isDocumentType(mediaType) ? "document" : undefined;
}

const TEXTUAL = /^(text\/[\w.+-]+|application\/(json|xml|csv|yaml|x-ndjson))$/;

/** Text a person can read (no magic number to sniff; checked as UTF-8 instead). */
export function isTextual(mediaType: string): boolean {
  return TEXTUAL.test(mediaType);
}
const DOCUMENTS = new Set([
  "application/pdf",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/msword",
  "application/rtf",
]);

/** A type the document tools read: PDF, Word, RTF, or text. */
export function isDocumentType(mediaType: string): boolean {
  return DOCUMENTS.has(mediaType) || TEXTUAL.test(mediaType);
}

function accepts(kind: MediaKind, mediaType: string): boolean {
  if (kind === "document") return isDocumentType(mediaType);
  return mediaType.startsWith(`${kind}/`);
}

function isUtf8Text(data: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(data);
    return !data.includes(0);
  } catch {
    return false;
  }
}

/**
 * The bytes of one content part (`data:` URL, or `http(s)` fetched through the URL guard) with a
 * type taken from the content, not from the claim; a part whose content is not its kind (a PDF in
 * an image_url) or is over its kind's cap is rejected.
 */
export async function partBytes(
  url: string,
  wanted: MediaKind | "any",
  policy: FetchPolicy,
  limits: MediaLimits,
  signal?: AbortSignal,
): Promise<PartBytes> {
  // A part of any kind (input_file) is fetched up to the largest cap, then held to its own kind's.
  const cap = wanted === "any" ? Math.max(...Object.values(limits.perKind)) : limits.perKind[wanted];
  let data: Buffer;
  let claimed: string;
  const inline = parseDataUrl(url);
  if (inline) {
    ({ data } = inline);
    claimed = inline.mediaType;
  } else if (/^data:/i.test(url)) {
    throw new MediaRejected("it is not a valid data: URL (bad percent-encoding or form)", "unreadable");
  } else {
    try {
      const fetched = await guardedFetch(
        url,
        { ...policy, maxBytes: Math.min(policy.maxBytes, cap) },
        signal,
      );
      data = fetched.data;
      claimed = fetched.contentType;
    } catch (error) {
      if (!(error instanceof FetchRefused)) throw error;
      throw new MediaRejected(
        `cannot fetch it: ${error.message}`,
        error.kind === "too_large" ? "too_large" : "url_refused",
      );
    }
  }
  if (data.byteLength === 0) throw new MediaRejected("it is empty", "unreadable");
  const sniffed = (await fileTypeFromBuffer(data))?.mime;
  const mediaType = sniffed ?? (TEXTUAL.test(claimed) && isUtf8Text(data) ? claimed : undefined);
  const kind = wanted === "any" ? mediaType && kindOfMediaType(mediaType) : wanted;
  if (!kind) {
    const what = mediaType ? `${mediaType}, which is no image, video, audio or document` : "not recognisable";
    throw new MediaRejected(`its content is ${what}`, mediaType ? "type_mismatch" : "unreadable");
  }
  if (data.byteLength > limits.perKind[kind]) {
    throw new MediaRejected(
      `${data.byteLength} bytes is over the ${kind} limit of ${limits.perKind[kind]}`,
      "too_large",
    );
  }
  if (!mediaType) throw new MediaRejected(`its content is not a recognisable ${kind}`, "unreadable");
  if (!accepts(kind, mediaType)) {
    throw new MediaRejected(
      `it is sent as ${kind === "image" || kind === "audio" ? "an" : "a"} ${kind} but its content is ${mediaType}`,
      "type_mismatch",
    );
  }
  return { data, mediaType, kind };
}
