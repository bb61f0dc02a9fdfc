import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../support/server.js";

const run = promisify(execFile);
const repo = path.resolve(".");
const TSC = path.join(repo, "node_modules", "typescript", "bin", "tsc");
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  name: string;
  version: string;
  files: string[];
  dependencies: Record<string, string>;
};
/** What `orion-server/client` imports at run time (Node and browser builds). */
const CLIENT_DEPS = [
  "@bufbuild/protobuf",
  "@connectrpc/connect",
  "@connectrpc/connect-node",
  "@connectrpc/connect-web",
];

let work: string;
let server: TestServer;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "orion-client-package-"));
  server = await startServer({ ORION_API_KEYS: "sk-package-test=packager:enterprise" });
});
afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

/**
 * `npm pack` of this package, built from the current sources (never the repository's dist/, which
 * may be stale): the same tsc build `prepare` runs, into a staging copy, packed as npm packs it.
 */
async function packFromSources(): Promise<{ tarball: string; files: string[] }> {
  const staging = path.join(work, "staging");
  mkdirSync(staging);
  // .gitignore too: without a `files` list npm packs what git would, and git ignores dist/.
  for (const entry of [
    "package.json",
    ".gitignore",
    "README.md",
    "bin",
    "proto",
    "docs",
    "third_party/models",
  ]) {
    cpSync(entry, path.join(staging, entry), { recursive: true });
  }
  // tsconfig.build.json's options, on the client and what it imports only (the server's build
  // takes far longer and is not what a client user runs).
  const config = path.join(work, "tsconfig.client.json");
  writeFileSync(
    config,
    JSON.stringify({
      extends: path.join(repo, "tsconfig.build.json"),
      compilerOptions: {
        rootDir: repo,
        outDir: path.join(staging, "dist"),
        typeRoots: [path.join(repo, "node_modules", "@types")],
      },
      include: [path.join(repo, "src", "client"), path.join(repo, "gen")],
    }),
  );
  await run(process.execPath, [TSC, "-p", config]);
  const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], {
    cwd: staging,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (!packed) throw new Error("npm pack wrote nothing");
  return { tarball: path.join(work, packed.filename), files: packed.files.map((f) => f.path) };
}

describe("orion-server/client as a user installs it", () => {
  it("npm pack holds the client's build; in a fresh project it type-checks (NodeNext) and talks to a server", async () => {
    expect(pkg.files).toEqual(expect.arrayContaining(["bin/", "dist/src/", "dist/gen/", "dist/web/"]));
    // A real install brings what the client imports.
    for (const dep of CLIENT_DEPS) expect(pkg.dependencies[dep], dep).toBeDefined();

    const { tarball, files } = await packFromSources();
    for (const file of [
      "package.json",
      "dist/src/client/node.js",
      "dist/src/client/node.d.ts",
      "dist/src/client/browser.js",
      "dist/gen/vlmrun/agent/v1/service_pb.js",
    ]) {
      expect(files, file).toContain(file);
    }
    expect(files.some((f) => f.startsWith("src/") || f.startsWith("test/"))).toBe(false);

    // A fresh project: the tarball unpacked where `npm install <tarball>` puts it; its dependencies
    // linked from this checkout instead of downloaded (the test runs offline).
    const project = path.join(work, "project");
    const installed = path.join(project, "node_modules", pkg.name);
    mkdirSync(installed, { recursive: true });
    await run("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"]);
    for (const dep of [...CLIENT_DEPS, "@types/node"]) {
      const to = path.join(project, "node_modules", dep);
      mkdirSync(path.dirname(to), { recursive: true });
      symlinkSync(path.join(repo, "node_modules", dep), to, "dir");
    }
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "app", type: "module" }));
    writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          types: ["node"],
          outDir: "out",
        },
        include: ["main.ts"],
      }),
    );
    writeFileSync(
      path.join(project, "main.ts"),
      [
        'import { createOrionClient, type OrionClient } from "orion-server/client";',
        "",
        "const orion: OrionClient = createOrionClient({",
        "  baseUrl: process.argv[2] ?? '',",
        '  transport: "connect",',
        "  apiKey: process.env.ORION_API_KEY,",
        "});",
        "const quota = await orion.getQuota({});",
        "console.log(JSON.stringify({ kind: quota.callerKind, plan: quota.plan }));",
        "",
      ].join("\n"),
    );
    await run(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: project });
    const { stdout } = await run(process.execPath, ["out/main.js", server.url], {
      cwd: project,
      env: { ...process.env, ORION_API_KEY: "sk-package-test" },
    });
    expect(JSON.parse(stdout)).toEqual({ kind: "api_key", plan: "enterprise" });
  }, 120_000);
});
