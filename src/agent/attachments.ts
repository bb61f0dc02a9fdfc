import type { ChatMessage, ContentPart } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import type { Artifacts } from "../artifacts/artifacts.js";
import type { FetchPolicy, MediaKind, MediaLimits } from "../config.js";
import { validationError } from "../errors.js";
import { ImageRefused, imageMetadata } from "../media/image-pixels.js";
import { MediaRejected, partBytes } from "../media/part-bytes.js";

export interface Attachment {
  id: string;
  description: string;
  kind: MediaKind;
}

const KINDS: Partial<Record<NonNullable<ContentPart["part"]["case"]>, [MediaKind, string]>> = {
  imageUrl: ["image", "image_url.url"],
  videoUrl: ["video", "video_url.url"],
  audioUrl: ["audio", "audio_url.url"],
  fileUrl: ["document", "file_url.url"],
  inputFile: ["document", "input_file.file_url"],
};

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
  media: { policy: FetchPolicy; limits: MediaLimits; signal?: AbortSignal },
): Promise<Attachment[]> {
  const found: Attachment[] = [];
  let total = 0;
  for (const [i, message] of messages.entries()) {
    for (const [j, part] of message.parts.entries()) {
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
      let description = `${bytes.mediaType}, ${bytes.data.byteLength} bytes`;
      if (kind[0] === "image") {
        try {
          const meta = await imageMetadata(bytes.data);
          description = `${meta.format}, ${meta.width}×${meta.height}`;
        } catch (error) {
          if (error instanceof ImageRefused) throw reject(`rejected: ${error.message}`, error.type);
          throw error;
        }
      }
      const stored = await artifacts.put(
        scope,
        new Uint8Array(bytes.data),
        bytes.mediaType,
        `attachment-${i}-${j}`,
      );
      found.push({ id: stored.id, description: `${stored.id} (${description})`, kind: kind[0] });
    }
  }
  return found;
}
