// What a guest chat's two durable writes cost by themselves (the quota count, then a new session
// holding the turn), one write per turn of the event loop as a server at one connection makes them,
// on each engine that could hold the embedded store: the in-process store, SqliteStore as built,
// the least SQLite can do for the same two writes (one counter row; one session row and its expiry
// index entry), and LMDB (`lmdb` on npm, synchronous transactions, no fsync: the same SIGKILL
// safety as SQLite's WAL with synchronous=NORMAL) when LMDB_DIR names a folder where it is
// installed (it is not one of this project's dependencies):
//   npm run bench:store-writes
//   mkdir /tmp/lmdb && (cd /tmp/lmdb && npm init -y && npm i lmdb@3) && LMDB_DIR=/tmp/lmdb npm run bench:store-writes
// CPU is this process's (every thread: SQLite's checkpoint thread too), per chat; best of the rounds.
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { MemoryStore } from "../src/store/memory-store.js";
import { migrate } from "../src/store/sqlite-schema.js";
import { SqliteStore } from "../src/store/sqlite-store.js";
import type { Store } from "../src/store/store.js";
import { runBench } from "./support.js";

const CHATS = Number(process.env.BENCH_CHATS ?? 5_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DAY_MS = 86_400_000;
const limits = { ttlMs: DAY_MS, maxEntries: 100, maxBytes: 1 << 20 };
const user = JSON.stringify({ role: "user", content: "Say hello" });
const assistant = JSON.stringify({
  role: "assistant",
  content: "Hello! How can I help you today? This is a reply of moderate length.",
});
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const scratchDir = () => mkdtempSync(join(tmpdir(), "orion-bench-writes-"));

/** The two writes of one guest chat, each awaited, in separate turns. */
type Chat = () => Promise<void>;
interface Engine {
  name: string;
  open(): { chat: Chat; close(): Promise<void> | void };
}

function viaStore(store: Store): Chat {
  return async () => {
    await store.consume("guest:bench", 1e9, Date.now() + DAY_MS);
    await nextTurn();
    await store.appendSession(randomUUID(), "guest:bench", [user, assistant], limits);
  };
}

const engines: Engine[] = [
  {
    name: "in-process store (ORION_DATA_DIR=:memory:)",
    open() {
      const store = new MemoryStore();
      return { chat: viaStore(store), close: () => store.close() };
    },
  },
  {
    name: "SqliteStore as built",
    open() {
      const store = new SqliteStore({
        dir: scratchDir(),
        busyTimeoutMs: 2_000,
        maxSessions: 1_000_000,
        maxSessionBytes: 1 << 30,
        maxArtifactBytes: 1 << 20,
      });
      return { chat: viaStore(store), close: () => store.close() };
    },
  },
  {
    name: "SQLite, least work (a counter row; a session row + its expiry entry)",
    open() {
      const db = new Database(join(scratchDir(), "orion.db"));
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      migrate(db);
      db.prepare("INSERT INTO counters VALUES ('guest:bench', 0, ?)").run(Date.now() + DAY_MS);
      const count = db.prepare("UPDATE counters SET count = count + 1 WHERE key = 'guest:bench'");
      const session = db.prepare("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      const consume = db.transaction(() => count.run());
      const append = db.transaction((id: string, now: number) =>
        session.run(id, "guest:bench", now, now, now + DAY_MS, 2, 2, user.length + assistant.length),
      );
      return {
        chat: async () => {
          consume.immediate();
          await nextTurn();
          append.immediate(randomUUID(), Date.now());
        },
        close: () => void db.close(),
      };
    },
  },
];

interface LmdbDatabase {
  get(key: string): unknown;
  putSync(key: string, value: unknown): void;
}
interface LmdbRoot {
  openDB(name: string): LmdbDatabase;
  transactionSync(run: () => void): void;
  close(): Promise<void>;
}

if (process.env.LMDB_DIR) {
  const require = createRequire(join(process.env.LMDB_DIR, "package.json"));
  const { open } = require("lmdb") as { open(options: Record<string, unknown>): LmdbRoot };
  engines.push({
    name: "LMDB, synchronous transactions, noSync",
    open() {
      const root = open({ path: scratchDir(), noSync: true, compression: false, encoding: "json" });
      const counters = root.openDB("counters");
      const sessions = root.openDB("sessions");
      const entries = root.openDB("entries");
      return {
        chat: async () => {
          root.transactionSync(() => {
            const live = (counters.get("guest:bench") as { count: number } | undefined)?.count ?? 0;
            counters.putSync("guest:bench", { count: live + 1, expires: Date.now() + DAY_MS });
          });
          await nextTurn();
          root.transactionSync(() => {
            const id = randomUUID();
            const now = Date.now();
            entries.putSync(`${id}:1`, user);
            entries.putSync(`${id}:2`, assistant);
            sessions.putSync(id, { owner: "guest:bench", created: now, expires: now + DAY_MS, seq: 2 });
          });
        },
        close: () => root.close(),
      };
    },
  });
}

async function measure(engine: Engine): Promise<{ wallUs: number; cpuUs: number }> {
  const { chat, close } = engine.open();
  for (let i = 0; i < 500; i++) {
    await chat();
    await nextTurn();
  }
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < CHATS; i++) {
    await chat();
    await nextTurn();
  }
  const used = process.cpuUsage(cpu);
  const wallUs = ((performance.now() - started) * 1000) / CHATS;
  await close();
  return { wallUs, cpuUs: (used.user + used.system) / CHATS };
}

async function main() {
  console.log(
    `\nA guest chat's two durable writes by engine, ${CHATS.toLocaleString("en")} chats, best of ${ROUNDS} rounds, node ${process.version}, ${new Date().toISOString()}`,
  );
  const best = new Map<string, { wallUs: number; cpuUs: number }>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const engine of engines) {
      const figures = await measure(engine);
      const previous = best.get(engine.name);
      if (!previous || figures.cpuUs < previous.cpuUs) best.set(engine.name, figures);
    }
  }
  const memory = best.get(engines[0]?.name ?? "")?.cpuUs ?? 0;
  console.log("| engine | wall µs/chat | CPU µs/chat | CPU over the in-process store |");
  console.log("|---|---|---|---|");
  for (const [name, { wallUs, cpuUs }] of best) {
    console.log(`| ${name} | ${wallUs.toFixed(1)} | ${cpuUs.toFixed(1)} | +${(cpuUs - memory).toFixed(1)} |`);
  }
}

runBench(main);
