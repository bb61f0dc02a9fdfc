import type { ChatMessage, ContentPart } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import type { ArtifactMeta, Artifacts } from "../artifacts/artifacts.js";
import type { FetchPolicy, MediaKind, MediaLimits } from "../config.js";
import { validationError } from "../errors.js";
import { type ChatFiles, fileNotFound } from "../files/chat-files.js";
import { ImageRefused, imageMetadata } from "../media/image-pixels.js";
import { kindOfMediaType, MediaRejected, partBytes } from "../media/part-bytes.js";

export interface Attachment {
  id: string;
  description: string;
  kind: MediaKind;
}

/** What each part kind must hold; an input_file may hold any kind, found in its content. */
const KINDS: Partial<Record<NonNullable<ContentPart["part"]["case"]>, [MediaKind | "any", string]>> = {
  imageUrl: ["image", "image_url.url"],
  videoUrl: ["video", "video_url.url"],
  audioUrl: ["audio", "audio_url.url"],
  fileUrl: ["document", "file_url.url"],
  inputFile: ["any", "input_file.file_url"],
};

/** The `file_id` of an input_file part that names an uploaded file (and no URL). */
function fileIdOf(part: ContentPart): string {
  const p = part.part;
  return p.case === "inputFile" && p.value.fileUrl === "" ? p.value.fileId : "";
}

function urlOf(part: ContentPart): string {
  const p = part.part;
  if (p.case === "inputFile") return p.value.fileUrl;
  if (p.case === undefined || p.case === "text") return "";
  return p.value.url;
}

/**
 * Stores what a request attaches (images, video, audio, documents; `data:` or remote URLs fetched
 * through the URL guard) in the caller's session, so server tools can use them by id ("img_…",
 * "vid_…", "doc_…"). The type comes from the bytes; a part whose content is not its kind, or is
 * over its cap, is a 422 naming the part. Images are also decoded, to describe them to the model.
 */
export async function ingestAttachments(
  messages: ChatMessage[],
  artifacts: Artifacts,
  scope: string,
  media: { policy: FetchPolicy; limits: MediaLimits; signal?: AbortSignal; files?: ChatFiles },
): Promise<Attachment[]> {
  const found: Attachment[] = [];
  let total = 0;
  let kept: Promise<ArtifactMeta[]> | undefined;
  for (const [i, message] of messages.entries()) {
    for (const [j, part] of message.parts.entries()) {
      const fileId = fileIdOf(part);
      if (fileId) {
        kept ??= artifacts.list(scope);
        const field = `messages[${i}].parts[${j}].input_file.file_id`;
        const attached = await ingestFile(fileId, field, artifacts, scope, media, total, kept);
        total = attached.total;
        found.push(attached.attachment);
        continue;
      }
      const kind = part.part.case && KINDS[part.part.case];
      const url = urlOf(part);
      if (!kind || !url) continue;
      const field = `messages[${i}].parts[${j}].${kind[1]}`;
      const reject = (description: string, type: string) => validationError([{ field, description, type }]);
      let bytes: Awaited<ReturnType<typeof partBytes>>;
      try {
        bytes = await partBytes(url, kind[0], media.policy, media.limits, media.signal);
      } catch (error) {
        if (error instanceof MediaRejected) throw reject(`rejected: ${error.message}`, error.type);
        throw error;
      }
      total += bytes.data.byteLength;
      if (total > media.limits.total) {
        throw reject(`the attachments add up to more than ${media.limits.total} bytes`, "too_large");
      }
      const description = await describe(bytes.data, bytes.mediaType, bytes.kind, reject);
      const stored = await artifacts.put(
        scope,
        new Uint8Array(bytes.data),
        bytes.mediaType,
        `attachment-${i}-${j}`,
      );
      found.push({ id: stored.id, description: `${stored.id} (${description})`, kind: bytes.kind });
    }
  }
  return found;
}

/**
 * An uploaded file as an attachment of the session: the same caps, kinds and checks as a `data:`
 * URL of its content (its type was found in its bytes at upload, never taken from its name). A file
 * the session has already attached is used again rather than copied.
 */
async function ingestFile(
  fileId: string,
  field: string,
  artifacts: Artifacts,
  scope: string,
  media: { limits: MediaLimits; files?: ChatFiles },
  totalBefore: number,
  kept: Promise<ArtifactMeta[]>,
): Promise<{ attachment: Attachment; total: number }> {
  const file = await media.files?.get(fileId);
  if (!file || !media.files) throw fileNotFound(fileId, field);
  const reject = (description: string, type: string) => validationError([{ field, description, type }]);
  const kind = kindOfMediaType(file.contentType);
  if (!kind) {
    throw reject(
      `rejected: its content is ${file.contentType}, which is no image, video, audio or document`,
      "type_mismatch",
    );
  }
  const cap = media.limits.perKind[kind];
  if (file.bytes > cap) {
    throw reject(`rejected: ${file.bytes} bytes is over the ${kind} limit of ${cap}`, "too_large");
  }
  if (file.bytes > artifacts.maxBytes) {
    throw reject(
      `rejected: ${file.bytes} bytes is over the ${artifacts.maxBytes} an attachment is kept up to (ORION_ARTIFACT_MAX_BYTES)`,
      "too_large",
    );
  }
  const total = totalBefore + file.bytes;
  if (total > media.limits.total) {
    throw reject(`the attachments add up to more than ${media.limits.total} bytes`, "too_large");
  }
  const tag = `${file.id}:${file.filename}`;
  const earlier = (await kept).find((a) => a.filename === tag);
  const named = `file ${file.id} "${file.filename}"`;
  if (earlier) {
    return {
      attachment: { id: earlier.id, description: `${earlier.id} (${file.contentType}, ${named})`, kind },
      total,
    };
  }
  const data = await media.files.bytes(file);
  const description = await describe(data, file.contentType, kind, reject);
  const stored = await artifacts.put(
    scope,
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    file.contentType,
    tag,
  );
  return {
    attachment: { id: stored.id, description: `${stored.id} (${description}, ${named})`, kind },
    total,
  };
}

/**
 * What the model is told of an attachment's bytes: an image's format and size (decoded under the
 * pixel cap, a refusal worded for its field), else its type and length.
 */
async function describe(
  data: Uint8Array,
  mediaType: string,
  kind: string,
  reject: (description: string, type: string) => Error,
): Promise<string> {
  if (kind !== "image") return `${mediaType}, ${data.byteLength} bytes`;
  try {
    const meta = await imageMetadata(data);
    return `${meta.format}, ${meta.width}×${meta.height}`;
  } catch (error) {
    if (error instanceof ImageRefused) throw reject(`rejected: ${error.message}`, error.type);
    throw error;
  }
}
