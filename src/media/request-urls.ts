import type { ChatMessage } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import type { FetchPolicy } from "../config.js";
import { type FieldViolation, validationError } from "../errors.js";
import { checkUrl, FetchRefused } from "./guarded-fetch.js";

const FIELD = {
  imageUrl: "image_url",
  videoUrl: "video_url",
  audioUrl: "audio_url",
  fileUrl: "file_url",
} as const;

/**
 * Checks every remote URL a request carries when it arrives, before any model or tool sees it: a
 * URL whose host resolves to a forbidden address is a 422 naming the part, even if no tool would
 * have fetched it (it is never handed to an upstream model either).
 */
export async function checkRequestUrls(messages: ChatMessage[], policy: FetchPolicy): Promise<void> {
  const checks: Promise<FieldViolation | undefined>[] = [];
  for (const [i, message] of messages.entries()) {
    for (const [j, part] of message.parts.entries()) {
      const p = part.part;
      let url: string | undefined;
      let field: string | undefined;
      if (p.case === "inputFile") {
        url = p.value.fileUrl;
        field = `messages[${i}].parts[${j}].input_file.file_url`;
      } else if (p.case !== undefined && p.case !== "text") {
        url = p.value.url;
        field = `messages[${i}].parts[${j}].${FIELD[p.case]}.url`;
      }
      if (!url || !/^https?:/i.test(url) || !field) continue;
      const where = field;
      checks.push(
        checkUrl(url, policy).then(
          () => undefined,
          (error: unknown) => {
            if (!(error instanceof FetchRefused)) throw error;
            return { field: where, description: `refused: ${error.message}`, type: "url_refused" };
          },
        ),
      );
    }
  }
  const violations = (await Promise.all(checks)).filter((v): v is FieldViolation => v !== undefined);
  if (violations.length > 0) throw validationError(violations);
}
