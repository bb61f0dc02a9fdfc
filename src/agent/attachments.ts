import sharp, { type Metadata } from "sharp";
import type { ChatMessage } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import type { Artifacts } from "../artifacts/artifacts.js";
import { validationError } from "../service/errors.js";

const DATA_URL = /^data:([a-z]+\/[\w.+-]+)?((?:;[\w-]+=[^;,]*)*)(;base64)?,(.*)$/is;

export interface Attachment {
  id: string;
  description: string;
}

/**
 * Stores the images a request attaches as `data:` URLs in the caller's session, so server tools can
 * refer to them by id ("img_a1b2c3"). Each is decoded to check it really is an image; one that is
 * not is a 422 naming the part. (Remote URLs and other media kinds arrive with the media issue.)
 */
export async function ingestAttachments(
  messages: ChatMessage[],
  artifacts: Artifacts,
  scope: string,
): Promise<Attachment[]> {
  const found: Attachment[] = [];
  for (const [i, message] of messages.entries()) {
    for (const [j, part] of message.parts.entries()) {
      if (part.part.case !== "imageUrl") continue;
      const match = DATA_URL.exec(part.part.value.url);
      if (!match) continue;
      const field = `messages[${i}].parts[${j}].image_url.url`;
      const data = match[3]
        ? Buffer.from(match[4] ?? "", "base64")
        : Buffer.from(decodeURIComponent(match[4] ?? ""));
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
