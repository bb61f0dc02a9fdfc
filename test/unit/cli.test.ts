import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const cli = (...args: string[]) =>
  run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    env: { ...process.env, REDIS_URL: "", REDIS_CLUSTER_NODES: "" },
  });

describe("orion --help", () => {
  it.each(["--help", "-h", "help", "keys --help"])(
    "`orion %s` prints the usage on stdout and exits 0",
    async (args) => {
      const { stdout, stderr } = await cli(...args.split(" "));
      expect(stdout).toMatch(/^usage: orion keys create/);
      expect(stdout).toContain("orion worker");
      expect(stderr).toBe("");
    },
    30_000,
  );

  it("an unknown command is still a usage error on stderr, exit 2", async () => {
    const error = await cli("frobnicate").catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(error).toMatchObject({ code: 2, stdout: "" });
    expect((error as { stderr: string }).stderr).toContain("usage: orion");
  }, 30_000);
});
