import { Code } from "@connectrpc/connect";
import type { ChatMessage } from "../../gen/vlmrun/agent/v1/chat_pb.js";
import { Reason, reasonError } from "../errors.js";
import type { StoredFile } from "../store/file-storage.js";
import type { FileService } from "./file-service.js";

/** The owner's files as a chat reaches them: by id, and their bytes. */
export interface ChatFiles {
  get(id: string): Promise<StoredFile | undefined>;
  bytes(file: StoredFile): Promise<Buffer>;
}

/** For one chat: each id is looked up once, however many steps ask (the router, then ingestion). */
export function chatFiles(files: FileService, owner: string): ChatFiles {
  const looked = new Map<string, Promise<StoredFile | undefined>>();
  return {
    get(id) {
      let file = looked.get(id);
      if (!file) {
        file = files.get(owner, id);
        looked.set(id, file);
      }
      return file;
    },
    bytes: (file) => files.bytes(file),
  };
}

/** The 404 for a file id a chat names that is not the caller's (unknown, deleted, expired or another's alike). */
export function fileNotFound(id: string, field: string) {
  return reasonError(Code.NotFound, Reason.notFound, `${field}: no file "${id.slice(0, 200)}"`, {
    metadata: { field, file_id: id.slice(0, 200) },
  });
}

/** Where each `file_id` part of the messages is, and the id it names. */
export function fileIdParts(messages: readonly ChatMessage[]): { id: string; field: string }[] {
  const found: { id: string; field: string }[] = [];
  for (const [i, message] of messages.entries()) {
    for (const [j, part] of message.parts.entries()) {
      const p = part.part;
      if (p.case === "inputFile" && p.value.fileId !== "") {
        found.push({ id: p.value.fileId, field: `messages[${i}].parts[${j}].input_file.file_id` });
      }
    }
  }
  return found;
}

/**
 * Every `file_id` the messages name must be one of the caller's live files: checked when a chat
 * arrives, before anything is charged; the first that is not is a 404 naming it.
 */
export async function checkFileParts(messages: readonly ChatMessage[], files: ChatFiles | undefined) {
  for (const { id, field } of fileIdParts(messages)) {
    if (!files || !(await files.get(id))) throw fileNotFound(id, field);
  }
}
