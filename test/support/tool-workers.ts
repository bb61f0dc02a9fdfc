import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A real `orion worker` process (the CLI from source, through tsx) and the JSON lines it logs. */
export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  logs: Record<string, unknown>[];
  /** Resolves with the first log line `matches` accepts (already written or still to come). */
  line(
    matches: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "src/cli/main.ts"), "worker"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ORION_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const logs: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let buffered = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) logs.push(JSON.parse(line));
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      running.delete(child);
      for (const wake of waiters.splice(0)) wake();
      resolve();
    }),
  );
  const handle: WorkerProcess = {
    child,
    pid: child.pid ?? 0,
    logs,
    async line(matches, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = logs.find(matches);
        if (found) return found;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(
            `the worker exited (${child.exitCode ?? child.signalCode}): ${stderr.slice(-2000)}`,
          );
        if (Date.now() > until)
          throw new Error(`no matching worker log line; stderr: ${stderr.slice(-2000)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
  await handle.line((l) => l.msg === "tool worker ready", 60_000);
  return handle;
}
