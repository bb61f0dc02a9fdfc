import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { StoredFile } from "../../src/store/file-storage.js";
import { contractStores, STORE_KINDS } from "../support/contract-stores.js";

const storeOf = contractStores("files:", 2_000);
const kinds = STORE_KINDS;
const HOUR = 3_600_000;

function aFile(owner: string, overrides: Partial<StoredFile> = {}): StoredFile {
  const now = Date.now();
  return {
    id: `file-${randomUUID()}`,
    owner,
    filename: "a.png",
    purpose: "assistants",
    bytes: 100,
    md5: randomUUID().replaceAll("-", ""),
    contentType: "image/png",
    chunks: 1,
    createdAt: now,
    expiresAt: now + HOUR,
    ...overrides,
  };
}

describe.each(kinds)("the FileStorage contract on %s", (kind) => {
  const files = () => storeOf(kind).files();
  const owner = () => `user:${randomUUID()}`;

  it("keeps chunks in order, returns each as written, and drops a range", async () => {
    const id = `file-${randomUUID()}`;
    const expires = Date.now() + HOUR;
    const parts = [Buffer.alloc(1024 * 1024, 1), Buffer.from("second"), Buffer.alloc(0)];
    for (const [i, part] of parts.entries()) await files().putChunk(id, i, part, expires);
    for (const [i, part] of parts.entries()) {
      expect(Buffer.from((await files().getChunk(id, i)) ?? [])).toEqual(part);
    }
    await files().dropChunks(id, 0, 2);
    expect(await files().getChunk(id, 0)).toBeUndefined();
    expect(await files().getChunk(id, 1)).toBeUndefined();
    expect(await files().getChunk(id, 2)).toBeDefined();
    expect(await files().getChunk(id, 3)).toBeUndefined();
  });

  it("does not return a chunk past its expiry", async () => {
    const id = `file-${randomUUID()}`;
    await files().putChunk(id, 0, Buffer.from("x"), Date.now() + 50);
    await new Promise((r) => setTimeout(r, 120));
    expect(await files().getChunk(id, 0)).toBeUndefined();
  });

  it("commits, finds by id and by MD5, only for the owner", async () => {
    const me = owner();
    const file = aFile(me);
    expect(await files().commit(file, 10_000)).toEqual({ outcome: "created", file });
    expect(await files().get(me, file.id)).toEqual(file);
    expect(await files().findByMd5(me, file.md5)).toEqual(file);
    expect(await files().get(owner(), file.id)).toBeUndefined();
    expect(await files().findByMd5(owner(), file.md5)).toBeUndefined();
    expect(await files().usedBytes(me)).toBe(100);
  });

  it("answers a second upload of the same content with the first file, counted once", async () => {
    const me = owner();
    const first = aFile(me);
    await files().commit(first, 10_000);
    const again = await files().commit(aFile(me, { md5: first.md5 }), 10_000);
    expect(again).toEqual({ outcome: "duplicate", file: first });
    expect(await files().usedBytes(me)).toBe(100);
    // Another owner's identical content is that owner's own file.
    expect((await files().commit(aFile(owner(), { md5: first.md5 }), 10_000)).outcome).toBe("created");
  });

  it("refuses a file that would take the owner past the cap, storing nothing", async () => {
    const me = owner();
    await files().commit(aFile(me, { bytes: 600 }), 1_000);
    expect(await files().commit(aFile(me, { bytes: 500 }), 1_000)).toEqual({
      outcome: "over_quota",
      usedBytes: 600,
    });
    expect(await files().list(me, 0, 10)).toHaveLength(1);
    expect((await files().commit(aFile(me, { bytes: 400 }), 1_000)).outcome).toBe("created");
  });

  it("lists newest first, with skip and limit", async () => {
    const me = owner();
    const t = Date.now();
    const made = [0, 1, 2, 3].map((i) => aFile(me, { createdAt: t + i, filename: `f${i}` }));
    for (const file of made) await files().commit(file, 10_000);
    expect((await files().list(me, 0, 10)).map((f) => f.filename)).toEqual(["f3", "f2", "f1", "f0"]);
    expect((await files().list(me, 1, 2)).map((f) => f.filename)).toEqual(["f2", "f1"]);
    expect(await files().list(me, 4, 10)).toEqual([]);
    expect(await files().list(me, 0, 0)).toEqual([]);
  });

  it("removes a file for its owner only, freeing its bytes and its MD5", async () => {
    const me = owner();
    const file = aFile(me);
    await files().commit(file, 10_000);
    expect(await files().remove(owner(), file.id)).toBeUndefined();
    expect(await files().remove(me, file.id)).toEqual(file);
    expect(await files().remove(me, file.id)).toBeUndefined();
    expect(await files().get(me, file.id)).toBeUndefined();
    expect(await files().findByMd5(me, file.md5)).toBeUndefined();
    expect(await files().usedBytes(me)).toBe(0);
    expect((await files().commit(aFile(me, { md5: file.md5 }), 10_000)).outcome).toBe("created");
  });

  it("forgets an expired file everywhere: id, MD5, list, total", async () => {
    const me = owner();
    const file = aFile(me, { expiresAt: Date.now() + 60 });
    await files().commit(file, 10_000);
    await new Promise((r) => setTimeout(r, 150));
    expect(await files().get(me, file.id)).toBeUndefined();
    expect(await files().findByMd5(me, file.md5)).toBeUndefined();
    expect(await files().list(me, 0, 10)).toEqual([]);
    expect(await files().usedBytes(me)).toBe(0);
    expect((await files().commit(aFile(me, { md5: file.md5, bytes: 1_000 }), 1_000)).outcome).toBe("created");
  });

  it("is exact when the same owner commits concurrently against the cap", async () => {
    const me = owner();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => files().commit(aFile(me, { bytes: 100 }), 1_000)),
    );
    expect(results.filter((r) => r.outcome === "created")).toHaveLength(10);
    expect(await files().usedBytes(me)).toBe(1_000);
  });
});
