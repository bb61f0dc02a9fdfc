#!/usr/bin/env node
// The `orion` command (API keys, tool workers). Runs the compiled CLI; `npm ci` builds it (prepare).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "src", "cli", "main.js");
if (!existsSync(cli)) {
  process.stderr.write("orion: the CLI is not built yet; run `npm run build` first\n");
  process.exit(2);
}
await import(cli);
