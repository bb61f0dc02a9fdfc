import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

// Another process holding the durable store's write lock (`BEGIN IMMEDIATE` on its own
// connection) until told to let go: what a second server, the CLI or a backup tool can do.
const HOLDER = `
const Database = require("better-sqlite3");
const db = new Database(process.argv[1]);
db.exec("BEGIN IMMEDIATE");
process.stdout.write("locked\\n");
process.stdin.once("data", () => { db.exec("COMMIT"); db.close(); process.exit(0); });
`;

export interface LockHolder {
  child: ChildProcess;
  /** Commits (releasing the lock) and resolves once the process has exited. */
  release(): Promise<void>;
}

/** Starts a process that takes the write lock of the SQLite file `file`; resolves once it has it. */
export async function holdWriteLock(file: string): Promise<LockHolder> {
  const child = spawn(process.execPath, ["-e", HOLDER, file], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await Promise.race([
    once(lines, "line"),
    once(child, "exit").then(() => {
      throw new Error("the lock holder exited before taking the lock");
    }),
  ])) as [string];
  if (line !== "locked") throw new Error(`the lock holder said ${line}`);
  return {
    child,
    async release() {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.stdin?.end("release\n");
      await exited;
    },
  };
}
