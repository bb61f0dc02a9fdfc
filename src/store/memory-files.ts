import { type CommitResult, type FileStorage, newestFirst, type StoredFile } from "./file-storage.js";

/**
 * Files in the process (ORION_DATA_DIR=:memory:): lost at exit like the rest of that store, and
 * bounded by the per-file and per-owner caps the file service applies.
 */
export class MemoryFiles implements FileStorage {
  private readonly chunks = new Map<string, { data: Uint8Array; expiresAt: number }>();
  private readonly owners = new Map<string, Map<string, StoredFile>>();

  constructor(private readonly now: () => number = Date.now) {}

  private static chunkKey(fileId: string, index: number) {
    return `${fileId}\n${index}`;
  }

  /** The owner's live files, expired ones forgotten on the way. */
  private live(owner: string): Map<string, StoredFile> {
    const files = this.owners.get(owner) ?? new Map<string, StoredFile>();
    const now = this.now();
    for (const [id, file] of files) {
      if (file.expiresAt > now) continue;
      files.delete(id);
      for (let i = 0; i < file.chunks; i++) this.chunks.delete(MemoryFiles.chunkKey(id, i));
    }
    return files;
  }

  async putChunk(fileId: string, index: number, data: Uint8Array, expiresAt: number) {
    this.chunks.set(MemoryFiles.chunkKey(fileId, index), { data: new Uint8Array(data), expiresAt });
  }

  async getChunk(fileId: string, index: number) {
    const key = MemoryFiles.chunkKey(fileId, index);
    const found = this.chunks.get(key);
    if (!found) return undefined;
    if (found.expiresAt > this.now()) return found.data;
    this.chunks.delete(key);
    return undefined;
  }

  async dropChunks(fileId: string, from: number, to: number) {
    for (let i = from; i < to; i++) this.chunks.delete(MemoryFiles.chunkKey(fileId, i));
  }

  async commit(file: StoredFile, maxOwnerBytes: number): Promise<CommitResult> {
    const files = this.live(file.owner);
    let used = 0;
    for (const other of files.values()) {
      if (other.md5 === file.md5) return { outcome: "duplicate", file: other };
      used += other.bytes;
    }
    if (used + file.bytes > maxOwnerBytes) return { outcome: "over_quota", usedBytes: used };
    files.set(file.id, file);
    this.owners.set(file.owner, files);
    return { outcome: "created", file };
  }

  async get(owner: string, id: string) {
    return this.live(owner).get(id);
  }

  async findByMd5(owner: string, md5: string) {
    for (const file of this.live(owner).values()) if (file.md5 === md5) return file;
    return undefined;
  }

  async list(owner: string, skip: number, limit: number) {
    return [...this.live(owner).values()].sort(newestFirst).slice(skip, skip + limit);
  }

  async remove(owner: string, id: string) {
    const files = this.live(owner);
    const file = files.get(id);
    files.delete(id);
    return file;
  }

  async usedBytes(owner: string) {
    let used = 0;
    for (const file of this.live(owner).values()) used += file.bytes;
    return used;
  }
}
