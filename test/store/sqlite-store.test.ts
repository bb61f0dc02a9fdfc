import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrate, SCHEMA_VERSION } from "../../src/store/sqlite-schema.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { NO_EVENTS } from "../../src/store/sqlite-writes.js";
import { StoreOpenError, StoreUnavailable } from "../../src/store/store.js";
import { connectionOf, fillDisk } from "../support/disk-full.js";

const run = promisify(execFile);
const limits = { ttlMs: 60_000, maxEntries: 100, maxBytes: 1 << 20 };
const fresh = () => mkdtempSync(join(tmpdir(), "orion-sqlite-"));
const open = (dir: string, extra: Partial<ConstructorParameters<typeof SqliteStore>[0]> = {}) =>
  new SqliteStore({
    dir,
    busyTimeoutMs: 2_000,
    maxSessions: 1_000,
    maxSessionBytes: 1 << 30,
    maxArtifactBytes: 1 << 20,
    ...extra,
  });

describe("the durable embedded store", () => {
  it("keeps everything across a close and a reopen", async () => {
    const dir = fresh();
    const first = open(dir);
    await first.consume("guest:a", 5, Date.now() + 60_000);
    await first.consume("guest:a", 5, Date.now() + 60_000);
    await first.appendSession("s1", "alice", ["m1", "m2"], limits);
    await first.putArtifact(
      "scope",
      "img_000001",
      '{"contentType":"image/png"}',
      new Uint8Array([1, 2, 3]),
      60_000,
    );
    await first.mapSet("keys", "hash", '{"user":"bob"}');
    await first.put("idem", "reply", 60_000);
    await first.close();
    const again = open(dir);
    expect((await again.peek("guest:a")).count).toBe(2);
    expect((await again.readSession("s1"))?.entries).toEqual(["m1", "m2"]);
    expect([...((await again.getArtifact("scope", "img_000001"))?.data ?? [])]).toEqual([1, 2, 3]);
    expect(await again.mapGet("keys", "hash")).toBe('{"user":"bob"}');
    expect(await again.get("idem")).toBe("reply");
    await again.close();
  });

  it("keeps a counter exact across processes taking it at once", async () => {
    const dir = fresh();
    open(dir).close(); // created once, so the children race on the counter, not on the schema
    const children = Array.from({ length: 4 }, () =>
      run(process.execPath, ["--import", "tsx", "test/support/consume-child.ts", dir, "shared", "100", "50"]),
    );
    const allowed = (await Promise.all(children)).map((c) => Number(c.stdout));
    expect(allowed.reduce((a, b) => a + b, 0)).toBe(100);
    const store = open(dir);
    expect((await store.peek("shared")).count).toBe(100);
    await store.close();
  }, 60_000);

  it("lets processes that start at once on a fresh directory all open it, the schema made once", async () => {
    for (let round = 0; round < 3; round++) {
      const dir = fresh();
      const startFile = join(dir, "start");
      const children = Array.from({ length: 6 }, () => {
        const child = spawn(
          process.execPath,
          ["--import", "tsx", "test/support/open-store-child.ts", dir, startFile],
          {
            stdio: ["ignore", "pipe", "inherit"],
          },
        );
        let out = "";
        const ready = new Promise<void>((resolve) => {
          child.stdout.on("data", (data: Buffer) => {
            out += data;
            if (out.includes("ready\n")) resolve();
          });
        });
        const exited = new Promise<string>((resolve) => child.once("exit", () => resolve(out)));
        return { ready, exited };
      });
      await Promise.all(children.map((c) => c.ready));
      writeFileSync(startFile, "");
      const outputs = await Promise.all(children.map((c) => c.exited));
      expect(outputs.map((o) => o.replace("ready\n", "").trim())).toEqual(Array(6).fill("ok"));
      const db = new Database(join(dir, "orion.db"), { readonly: true });
      expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.prepare("SELECT count(*) AS n FROM sessions").get()).toEqual({ n: 6 });
      db.close();
    }
  }, 90_000);

  it("refuses a file that is not a sound store, never wiping it, and says what to do", () => {
    const dir = fresh();
    const file = join(dir, "orion.db");
    const garbage = Buffer.from("this is not a database, just some bytes ".repeat(200));
    writeFileSync(file, garbage);
    expect(() => open(dir)).toThrow(StoreOpenError);
    expect(() => open(dir)).toThrow(/restore it from a backup, or move it aside/);
    expect(readFileSync(file).equals(garbage)).toBe(true);
  });

  it("refuses a truncated store file", async () => {
    const dir = fresh();
    const store = open(dir);
    for (let i = 0; i < 200; i++) await store.appendSession(`s${i}`, "o", ["x".repeat(2_000)], limits);
    await store.close();
    const file = join(dir, "orion.db");
    const whole = readFileSync(file);
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(() => open(dir)).toThrow(StoreOpenError);
  });

  it("refuses a store written by a newer schema, in one line", () => {
    const dir = fresh();
    open(dir).close();
    const db = new Database(join(dir, "orion.db"));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => open(dir)).toThrow(/written by a newer Orion Server .*ORION_DATA_DIR/);
  });

  it("migrates a store written by an older schema, keeping its sessions", async () => {
    const dir = fresh();
    const db = new Database(join(dir, "orion.db"));
    db.pragma("journal_mode = WAL");
    migrate(db, 4);
    const expires = Date.now() + 60_000;
    const insert = db.prepare("INSERT INTO sessions VALUES (?, 'alice', 1, 1, ?, 1, 1, 2)");
    insert.run("old", expires);
    insert.run("older", expires - 1_000);
    db.prepare("INSERT INTO session_entries VALUES ('old', 1, 'm1', 2)").run();
    db.prepare("UPDATE stats SET value = 2 WHERE name = 'sessions'").run();
    db.close();
    const store = open(dir, { maxSessions: 2 });
    expect((await store.readSession("old"))?.entries).toEqual(["m1"]);
    await store.appendSession("new", "bob", ["m2"], limits); // a third: the soonest to expire goes
    expect(await store.readSession("older")).toBeUndefined();
    expect((await store.readSession("old"))?.owner).toBe("alice");
    await store.close();
    const reopened = new Database(join(dir, "orion.db"));
    expect(reopened.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    reopened.close();
  });

  it("refuses a data directory it cannot create or write, naming ORION_DATA_DIR", () => {
    const file = join(fresh(), "a-file");
    writeFileSync(file, "");
    expect(() => open(join(file, "data"))).toThrow(
      /ORION_DATA_DIR .* is not a directory this process can write/,
    );
  });

  it("sweeps what expired and reuses the space, so the file does not grow without bound", async () => {
    const dir = fresh();
    let now = 1_000_000;
    const options = {
      dir,
      busyTimeoutMs: 2_000,
      maxSessions: 100_000,
      maxSessionBytes: 1 << 30,
      maxArtifactBytes: 1 << 30,
    };
    let store = new SqliteStore(options, () => now);
    // The log's length depends on when the checkpoint thread ran: the file is measured after a
    // close, which checkpoints everything into it.
    const closedSize = async () => {
      await store.close();
      const size = statSync(join(dir, "orion.db")).size;
      store = new SqliteStore(options, () => now);
      return size;
    };
    const fill = async (round: number) => {
      for (let i = 0; i < 2_000; i++) {
        await store.appendSession(`r${round}-${i}`, "o", ["y".repeat(500)], { ...limits, ttlMs: 1_000 });
      }
    };
    await fill(1);
    now += 2_000;
    await store.housekeeping();
    const afterFirst = await closedSize();
    for (let round = 2; round <= 4; round++) {
      await fill(round);
      now += 2_000;
      await store.housekeeping();
    }
    expect(await store.readSession("r4-0")).toBeUndefined();
    const afterFour = await closedSize();
    expect(afterFour).toBeLessThan(afterFirst * 1.5);
    await store.close();
  }, 60_000);

  it("keeps the sessions' bytes within their bound, the least recently written going first", async () => {
    let clock = Date.now(); // a tick per call: "least recently written" is by the millisecond
    const store = new SqliteStore(
      {
        dir: fresh(),
        busyTimeoutMs: 2_000,
        maxSessions: 100,
        maxSessionBytes: 1_000,
        maxArtifactBytes: 1 << 20,
      },
      () => clock++,
    );
    await store.appendSession("a", "o", ["x".repeat(400)], limits);
    await store.appendSession("b", "o", ["y".repeat(400)], limits);
    await store.appendSession("a", "o", ["z".repeat(100)], limits); // a is now the most recent
    await store.appendSession("c", "o", ["w".repeat(300)], limits);
    expect(await store.readSession("b")).toBeUndefined();
    expect((await store.readSession("a"))?.entries).toHaveLength(2);
    expect(await store.readSession("c")).toBeDefined();
    await store.deleteSession("a");
    await store.appendSession("d", "o", ["v".repeat(600)], limits); // fits beside c once a is gone
    expect(await store.readSession("c")).toBeDefined();
    await store.close();
  });

  it("evicts the least recently written artifact scopes past the byte bound", async () => {
    const store = open(fresh(), { maxArtifactBytes: 1_000 });
    await store.putArtifact("s1", "img_000001", "{}", new Uint8Array(600), 60_000);
    await store.putArtifact("s2", "img_000002", "{}", new Uint8Array(600), 60_000);
    await store.housekeeping();
    expect(await store.getArtifact("s1", "img_000001")).toBeUndefined();
    expect(await store.getArtifact("s2", "img_000002")).toBeDefined();
    await store.close();
  });

  it("reads committed writes only: not one still queued in this turn, every one whose promise resolved", async () => {
    const dir = fresh();
    const store = open(dir);
    const other = open(dir); // another connection on the file, as another process has
    const appended = store.appendSession("s1", "alice", ["m1"], limits);
    const counted = store.consume("c", 5, Date.now() + 60_000);
    // Issued in the same turn, before the commit: the writes are not visible yet, anywhere.
    const [sameTurn, sameTurnCount] = await Promise.all([store.readSession("s1"), store.peek("c")]);
    expect(sameTurn).toBeUndefined();
    expect(sameTurnCount.count).toBe(0);
    await Promise.all([appended, counted]);
    // Resolved means committed: this connection and the other one read it at once.
    expect((await store.readSession("s1"))?.entries).toEqual(["m1"]);
    expect((await other.readSession("s1"))?.entries).toEqual(["m1"]);
    expect((await other.peek("c")).count).toBe(1);
    await Promise.all([store.close(), other.close()]);
  });

  it("undoes a failing write alone: the turn's other writes commit", async () => {
    const store = open(fresh());
    const counted = store.consume("c", 5, Date.now() + 60_000);
    const refused = store.mapSet("m", "f", null as unknown as string); // NOT NULL: fails in SQLite
    const appended = store.appendSession("s1", "alice", ["m1"], limits);
    await expect(refused).rejects.toBeInstanceOf(StoreUnavailable);
    expect((await counted).allowed).toBe(true);
    expect(await appended).toBe("ok");
    expect(await store.mapGet("m", "f")).toBeUndefined();
    expect((await store.peek("c")).count).toBe(1);
    expect((await store.readSession("s1"))?.entries).toEqual(["m1"]);
    await store.close();
  });

  it("never reports done, nor lets a read see, a write that SQLite rolls back (disk full)", async () => {
    const store = open(fresh());
    await store.appendSession("small", "alice", ["m0"], limits);
    fillDisk(store);
    const counted = store.consume("c", 5, Date.now() + 60_000).then(
      () => true,
      () => false,
    );
    const tooBig = store.appendSession("big", "alice", ["x".repeat(64 * 1024)], limits);
    const read = store.readSession("big");
    await expect(tooBig).rejects.toBeInstanceOf(StoreUnavailable);
    expect(await read).toBeUndefined();
    expect(await store.readSession("big")).toBeUndefined();
    // On SQLITE_FULL SQLite may undo the whole transaction: the turn's other write is then
    // reported failed, never done and lost.
    expect((await store.peek("c")).count).toBe((await counted) ? 1 : 0);
    expect((await store.readSession("small"))?.entries).toEqual(["m0"]);
    expect(connectionOf(store).pragma("integrity_check", { simple: true })).toBe("ok");
    await store.close();
  });

  it("backs up while serving: the copy opens with everything in it", async () => {
    const dir = fresh();
    const store = open(dir);
    await store.appendSession("s1", "alice", ["kept"], limits);
    const copy = fresh();
    await store.backup(join(copy, "orion.db"));
    await store.appendSession("s1", "alice", ["after"], limits);
    const restored = open(copy);
    expect((await restored.readSession("s1"))?.entries).toEqual(["kept"]);
    await Promise.all([restored.close(), store.close()]);
  });

  it("checkpoints the log on its own thread, which then starts over short", async () => {
    const dir = fresh();
    const store = open(dir, {
      maxSessions: 100_000,
      // The serving connection never checkpoints here: only the thread can shorten the log.
      checkpoints: { everyMs: 20, restartFrames: 512, restartWaitMs: 100, fallbackFrames: 1 << 30 },
    });
    const wal = () => statSync(join(dir, "orion.db-wal"), { throwIfNoEntry: false })?.size ?? 0;
    // About 40 MiB of log: without checkpoints the file would stay at least that long.
    for (let i = 0; i < 2_000; i++) await store.appendSession(`s${i}`, "o", ["y".repeat(500)], limits);
    // Once the thread has copied the log and restarted it, the next commit cuts the file back
    // to journal_size_limit (8 MiB). Generous: a loaded machine may start the thread late.
    const deadline = Date.now() + 20_000;
    let i = 0;
    while (wal() > 8 << 20 && Date.now() < deadline) {
      await store.appendSession(`late${i++}`, "o", ["z"], limits);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(wal()).toBeLessThanOrEqual(8 << 20);
    expect((await store.readSession("s0"))?.entries).toEqual(["y".repeat(500)]);
    await store.close();
  }, 60_000);

  it("says so when its checkpoint thread fails, and goes on taking writes", async () => {
    const dir = fresh();
    const store = open(dir);
    const failed = new Promise<string>((resolve) => {
      store.observe({ ...NO_EVENTS, checkpointsFailed: resolve });
    });
    rmSync(dir, { recursive: true }); // the thread opens the file after this: it is gone
    expect(await failed).toMatch(/database|directory|open/i);
    await store.appendSession("s", "o", ["m"], limits);
    expect((await store.readSession("s"))?.entries).toEqual(["m"]);
    await store.close();
  });
});
