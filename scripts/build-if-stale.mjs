#!/usr/bin/env node
// `npm start` runs this first: it rebuilds (tsc + Vite, about 20 s) only when a source is newer
// than the build, so a start from a built tree is ready in about a second.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const SOURCES = ["src", "gen", "web", "package.json", "tsconfig.json", "tsconfig.build.json"];
const OUTPUTS = ["dist/src/main.js", "dist/web/index.html"];

/** The newest modification time under a file or folder. */
function newest(at) {
  if (!existsSync(at)) return 0;
  const stat = statSync(at);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(at)) latest = Math.max(latest, newest(path.join(at, entry)));
  return latest;
}

const built = Math.min(
  ...OUTPUTS.map((f) => (existsSync(path.join(root, f)) ? statSync(path.join(root, f)).mtimeMs : 0)),
);
const source = Math.max(...SOURCES.map((f) => newest(path.join(root, f))));
if (built >= source) process.exit(0);
process.stderr.write(
  `orion-server: ${built === 0 ? "no build yet" : "sources changed"}; building (npm run build)\n`,
);
execFileSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build", "--silent"], {
  cwd: root,
  stdio: "inherit",
});
