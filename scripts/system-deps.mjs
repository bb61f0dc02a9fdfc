#!/usr/bin/env node
// The system packages the test suite needs, set up by `npm test` itself (its `pretest` step), the
// way `npx playwright install --with-deps` does: present → silent; missing as root on Debian or
// Ubuntu → installed with apt-get (printing what); missing elsewhere → one message naming the
// packages and the command, and a non-zero exit before any test runs. `npm start` needs none.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** Each Debian package, with what shows it is installed. */
const PACKAGES = [
  { name: "ffmpeg", why: "the video tools' tests", present: () => onPath("ffmpeg") && onPath("ffprobe") },
  {
    name: "redis-server",
    why: "the store tests' private Redis",
    present: () => onPath("redis-server") && onPath("redis-cli"),
  },
  {
    name: "fonts-dejavu-core",
    why: "text rendered in test images",
    present: () => existsSync("/usr/share/fonts/truetype/dejavu"),
  },
  {
    name: "chromium",
    why: "the playground's browser test",
    present: () => isExecutable("/usr/bin/chromium"),
  },
];

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command) {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .some((dir) => dir && isExecutable(path.join(dir, command)));
}

function isDebianLike() {
  if (existsSync("/etc/debian_version")) return true;
  try {
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(readFileSync("/etc/os-release", "utf8"));
  } catch {
    return false;
  }
}

function run(command, args) {
  const result = spawnSync(command, args, {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (result.status !== 0) {
    process.stderr.write(
      `system-deps: '${command} ${args.join(" ")}' failed (exit ${result.status ?? result.signal})\n`,
    );
    process.exit(1);
  }
}

const missing = PACKAGES.filter((p) => !p.present());
if (missing.length === 0) process.exit(0);

const names = missing.map((p) => p.name);
const canInstall = process.getuid?.() === 0 && isDebianLike() && onPath("apt-get");
if (!canInstall) {
  process.stderr.write(
    `The tests need these system packages, which are missing: ${missing.map((p) => `${p.name} (${p.why})`).join(", ")}.\n` +
      `Install them, then run the tests again:\n\n  sudo apt-get update && sudo apt-get install -y ${names.join(" ")}\n\n` +
      "(As root on Debian or Ubuntu, `npm test` installs them itself.)\n",
  );
  process.exit(1);
}
process.stdout.write(`system-deps: installing ${names.join(" ")} with apt-get\n`);
run("apt-get", ["update", "-qq"]);
run("apt-get", ["install", "-y", "-qq", ...names]);
const still = missing.filter((p) => !p.present()).map((p) => p.name);
if (still.length > 0) {
  process.stderr.write(`system-deps: still missing after apt-get: ${still.join(", ")}\n`);
  process.exit(1);
}
process.stdout.write(`system-deps: installed ${names.join(" ")}\n`);
