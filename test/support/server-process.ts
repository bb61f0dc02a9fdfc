import { type ChildProcess, spawn } from "node:child_process";
import { freshDataDir } from "./server.js";

export interface ServerProcess {
  /** The parsed start-up ("listening") log line. */
  line: Record<string, unknown>;
  url: string;
  child: ChildProcess;
  stop(): void;
}

/**
 * Starts the real entry point (src/main.ts) in its own process on a free port, with only `env` set
 * (and `nodeArgs` such as a heap cap), and resolves once it logs that it is listening.
 */
export async function spawnServer(
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "src/main.ts"], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PORT: "0",
      ORION_DATA_DIR: freshDataDir(),
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = "";
    const onData = (data: Buffer) => {
      out += data;
      for (const text of out.split("\n")) {
        if (!text.includes('"listening"')) continue;
        child.stdout?.off("data", onData);
        child.stdout?.resume(); // later log lines are not read, and must not fill the pipe
        resolve(JSON.parse(text));
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", () => reject(new Error(`exited before listening: ${out}`)));
  });
  return { line, url: line.url as string, child, stop: () => child.kill("SIGTERM") };
}

/** SIGKILL, as a crash: resolves once the process has exited. */
export async function sigkill(p: ServerProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((resolve) => p.child.once("exit", resolve));
  p.child.kill("SIGKILL");
  await exited;
}

/** The server processes a suite starts, so its afterAll can end every one still running. */
export class ServerProcesses {
  private readonly started: ServerProcess[] = [];

  async start(env: Record<string, string>): Promise<ServerProcess> {
    const p = await spawnServer(env);
    this.started.push(p);
    return p;
  }

  killAll(): void {
    for (const p of this.started) p.child.kill("SIGKILL");
  }
}
