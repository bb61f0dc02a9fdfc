import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const script = path.resolve("scripts/system-deps.mjs");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A folder of links to the given commands only, readable by anyone, with a copy of the script. */
function strippedPath(commands: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), "orion-path-"));
  dirs.push(dir);
  chmodSync(dir, 0o755);
  for (const command of commands) {
    const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).stdout.trim();
    if (found) symlinkSync(found, path.join(dir, command));
  }
  copyFileSync(script, path.join(dir, "system-deps.mjs"));
  chmodSync(path.join(dir, "system-deps.mjs"), 0o644);
  return dir;
}

const everythingBut = ["node", "redis-server", "redis-cli", "sh"];

describe("npm test's system set-up (scripts/system-deps.mjs)", () => {
  it("is silent and succeeds when everything is present", () => {
    const result = spawnSync(process.execPath, [script], { encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("");
  });

  it("stops with one message naming the package and the command when it cannot install (not root)", () => {
    const dir = strippedPath(everythingBut);
    // As root, run it as nobody: the machine's own user cannot install anything.
    const setpriv = spawnSync("sh", ["-c", "command -v setpriv"], { encoding: "utf8" }).stdout.trim();
    const asNobody =
      process.getuid?.() === 0 ? [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    const [command, ...args] = [...asNobody, path.join(dir, "node"), path.join(dir, "system-deps.mjs")];
    const result = spawnSync(command as string, args, { encoding: "utf8", env: { PATH: dir } });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("ffmpeg (the video tools' tests)");
    expect(result.stderr).toContain("sudo apt-get update && sudo apt-get install -y ffmpeg");
    expect(result.stderr).not.toContain("redis-server (");
  });

  it("stops with the message as root too when apt-get is not there to install with", () => {
    const dir = strippedPath(everythingBut);
    const result = spawnSync(path.join(dir, "node"), [path.join(dir, "system-deps.mjs")], {
      encoding: "utf8",
      env: { PATH: dir },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("apt-get install -y ffmpeg");
  });
});
