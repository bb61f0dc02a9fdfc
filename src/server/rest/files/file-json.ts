import type { PendingUpload } from "../../../files/upload-urls.js";
import type { StoredFile } from "../../../store/file-storage.js";
import type { FileObjectJson, PresignedUploadJson } from "../contract/response-schemas.js";

/** A file as the hosted API answers it (the vlmrun SDKs' FileResponse). */
export function fileJson(file: StoredFile): FileObjectJson {
  return {
    id: file.id,
    object: "file",
    filename: file.filename,
    bytes: file.bytes,
    purpose: file.purpose,
    created_at: new Date(file.createdAt).toISOString(),
    public_url: null,
  };
}

export function presignedJson(pending: PendingUpload, url: string, expiration: number): PresignedUploadJson {
  return {
    id: pending.id,
    url,
    filename: pending.filename,
    content_type: pending.contentType,
    upload_method: "PUT",
    expiration,
    created_at: new Date(pending.createdAt).toISOString(),
    public_url: null,
  };
}
