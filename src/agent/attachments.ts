import sharp, { type Metadata } from "sharp";
import type { ChatMessage } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import type { Artifacts } from "../artifacts/artifacts.js";
import { validationError } from "../service/errors.js";
import { parseDataUrl } from "../tools/core/data-url.js";

/** Text documents are stored as they are; other media kinds arrive with the media issue. */
const TEXTUAL = /^(text\/|application\/(json|xml|csv|yaml))/;

export interface Attachment {
  id: string;
  description: string;
}

/**
 * Stores the images and text files a request attaches as `data:` URLs in the caller's session, so
 * server tools can refer to them by id ("img_a1b2c3", "doc_…"). Each image is decoded to check it
 * really is one; one that is not is a 422 naming the part. (Remote URLs and other media kinds
 * arrive with the media issue.)
 */
export async function ingestAttachments(
  messages: ChatMessage[],
  artifacts: Artifacts,
  scope: string,
): Promise<Attachment[]> {
  const found: Attachment[] = [];
  for (const [i, message] of messages.entries()) {
    for (const [j, part] of message.parts.entries()) {
      const p = part.part;
      if (p.case === "fileUrl" || p.case === "inputFile") {
        const url = p.case === "fileUrl" ? p.value.url : p.value.fileUrl;
        const text = parseDataUrl(url);
        if (!text || !TEXTUAL.test(text.mediaType)) continue;
        const stored = await artifacts.put(
          scope,
          new Uint8Array(text.data),
          text.mediaType,
          `attachment-${i}-${j}`,
        );
        found.push({
          id: stored.id,
          description: `${stored.id} (${text.mediaType}, ${text.data.byteLength} bytes)`,
        });
        continue;
      }
      if (p.case !== "imageUrl") continue;
      const parsed = parseDataUrl(p.value.url);
      if (!parsed) continue;
      const field = `messages[${i}].parts[${j}].image_url.url`;
      const data = parsed.data;
      let meta: Metadata;
      try {
        meta = await sharp(data, { limitInputPixels: 100_000_000 }).metadata();
      } catch {
        throw validationError([
          { field, description: "the data: URL is not a readable image", type: "value_error" },
        ]);
      }
      const contentType = `image/${meta.format}`;
      const stored = await artifacts.put(
        scope,
        new Uint8Array(data),
        contentType,
        `attachment-${i}-${j}.${meta.format}`,
      );
      found.push({
        id: stored.id,
        description: `${stored.id} (${meta.format}, ${meta.width}×${meta.height})`,
      });
    }
  }
  return found;
}

/** The note that tells the model which ids its tools can use. */
export function attachmentsNote(attachments: Attachment[]): string | undefined {
  if (attachments.length === 0) return undefined;
  return `Files attached to this conversation, usable by id in tool calls: ${attachments.map((a) => a.description).join("; ")}. Tools that create files return new ids; mention them in your answer.`;
}
