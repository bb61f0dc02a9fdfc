/**
 * Uploaded files (the Files API): metadata owned by a caller, content in bounded chunks so no
 * file ever sits in one stored value. Implemented by every store and held to one contract suite
 * (test/store/file-storage-contract.test.ts).
 */
export interface FileStorage {
  /**
   * Writes chunk `index` of a file's content (staged: no metadata names it until `commit`). It
   * expires at `expiresAt` (ms) whether or not the file is committed, so an upload that never
   * finishes cannot leave content behind for longer than a file would live. The store keeps no
   * reference to `data` once this resolves: the caller fills the same buffer again.
   */
  putChunk(fileId: string, index: number, data: Uint8Array, expiresAt: number): Promise<void>;
  getChunk(fileId: string, index: number): Promise<Uint8Array | undefined>;
  /** Deletes chunks [from, to) of a file's content. */
  dropChunks(fileId: string, from: number, to: number): Promise<void>;

  /**
   * In one atomic step: the owner's live file with the same MD5 when there is one (nothing is
   * stored: its staged chunks are the caller's to drop); else a refusal when the owner's live
   * files would add up to more than `maxOwnerBytes`; else the file is recorded.
   */
  commit(file: StoredFile, maxOwnerBytes: number): Promise<CommitResult>;
  /** The owner's live file with this id; another owner's, or an expired one, is undefined. */
  get(owner: string, id: string): Promise<StoredFile | undefined>;
  findByMd5(owner: string, md5: string): Promise<StoredFile | undefined>;
  /** The owner's live files, newest first. */
  list(owner: string, skip: number, limit: number): Promise<StoredFile[]>;
  /** Forgets the owner's file (its chunks are the caller's to drop); what it was, if it was. */
  remove(owner: string, id: string): Promise<StoredFile | undefined>;
  /** Bytes of the owner's live files. */
  usedBytes(owner: string): Promise<number>;
}

export interface StoredFile {
  id: string;
  owner: string;
  filename: string;
  purpose: string;
  bytes: number;
  /** Lower-case hex. */
  md5: string;
  /** Found in the content (file-type), or the textual type claimed for text; else octet-stream. */
  contentType: string;
  /** How many chunks hold the content, in order from 0. */
  chunks: number;
  createdAt: number;
  expiresAt: number;
}

export type CommitResult =
  | { outcome: "created"; file: StoredFile }
  | { outcome: "duplicate"; file: StoredFile }
  | { outcome: "over_quota"; usedBytes: number };

/** The fields of a StoredFile in the order every store writes them as JSON. */
export function fileJson(file: StoredFile): string {
  return JSON.stringify({
    id: file.id,
    owner: file.owner,
    filename: file.filename,
    purpose: file.purpose,
    bytes: file.bytes,
    md5: file.md5,
    contentType: file.contentType,
    chunks: file.chunks,
    createdAt: file.createdAt,
    expiresAt: file.expiresAt,
  });
}

export function parseFile(json: string): StoredFile {
  return JSON.parse(json) as StoredFile;
}

/** Newest first; ties (same millisecond) by id, so paging is stable. */
export function newestFirst(a: StoredFile, b: StoredFile): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
