import { create } from "@bufbuild/protobuf";
import { type ContentPart, ContentPartSchema } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import type { MediaKind, ServerSettings } from "./settings.js";

export interface Attachment {
  name: string;
  type: string;
  size: number;
  /** The bytes inline (guests), or a preview of an uploaded image; "" for other uploads. */
  dataUrl: string;
  /** Uploaded through the Files API (signed-in callers): the parts name it by id. */
  fileId?: string;
}

/** Room left in the request body for the text, settings and JSON framing around the data: URLs. */
const BODY_MARGIN = 64 * 1024;

export function kindOf(type: string): MediaKind {
  if (type.startsWith("image/")) return "image";
  if (type.startsWith("video/")) return "video";
  if (type.startsWith("audio/")) return "audio";
  return "document";
}

function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error(`could not read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Checks a file against the server's caps (per kind, in total, and the body size a data: URL
 * needs) and reads it. Throws a sentence naming the file and the cap it is past.
 */
export async function attach(
  file: File,
  current: Attachment[],
  settings: ServerSettings,
  apiKey?: string,
): Promise<Attachment> {
  const kind = kindOf(file.type);
  const kindCap = settings.media.perKind[kind];
  if (file.size > kindCap) {
    throw new Error(
      `${file.name} is ${formatBytes(file.size)}; the server accepts ${kind} files up to ${formatBytes(kindCap)}.`,
    );
  }
  const total = current.reduce((sum, a) => sum + a.size, 0) + file.size;
  if (total > settings.media.total) {
    throw new Error(
      `Attachments would total ${formatBytes(total)}; the server's cap is ${formatBytes(settings.media.total)}.`,
    );
  }
  const type = file.type || "application/octet-stream";
  if (apiKey) {
    // Signed in: the file goes up once through the Files API, and the message names it.
    const fileId = await uploadFile(file, apiKey);
    const dataUrl = kind === "image" ? await readAsDataUrl(file) : "";
    return { name: file.name, type, size: file.size, dataUrl, fileId };
  }
  const encoded =
    current.reduce((sum, a) => sum + (a.fileId ? 0 : a.dataUrl.length), 0) +
    Math.ceil(file.size / 3) * 4 +
    64;
  if (encoded > settings.maxBodyBytes - BODY_MARGIN) {
    const room = Math.floor(((settings.maxBodyBytes - BODY_MARGIN) * 3) / 4);
    throw new Error(
      `${file.name} does not fit in one request: attachments are sent inline and the server takes about ${formatBytes(room)} of files per message.`,
    );
  }
  return { name: file.name, type, size: file.size, dataUrl: await readAsDataUrl(file) };
}

/** POST /v1/files: the new (or identical earlier) file's id; a refusal as a sentence naming the file. */
async function uploadFile(file: File, apiKey: string): Promise<string> {
  const body = new FormData();
  body.append("file", file);
  const res = await fetch("/v1/files?purpose=assistants", {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}` },
    body,
  });
  const json = (await res.json().catch(() => ({}))) as { id?: string; error?: { message?: string } };
  if (!res.ok || !json.id)
    throw new Error(`${file.name} was not uploaded: ${json.error?.message ?? res.status}`);
  return json.id;
}

/** The content part for an attachment: images, video and audio by kind, everything else as a file. */
export function partOf(a: Attachment): ContentPart {
  if (a.fileId)
    return create(ContentPartSchema, { part: { case: "inputFile", value: { fileId: a.fileId } } });
  const url = a.dataUrl;
  switch (kindOf(a.type)) {
    case "image":
      return create(ContentPartSchema, { part: { case: "imageUrl", value: { url } } });
    case "video":
      return create(ContentPartSchema, { part: { case: "videoUrl", value: { url } } });
    case "audio":
      return create(ContentPartSchema, { part: { case: "audioUrl", value: { url } } });
    default:
      return create(ContentPartSchema, { part: { case: "fileUrl", value: { url } } });
  }
}
