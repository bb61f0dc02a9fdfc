import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { build as viteBuild } from "vite";

/** Debian's chromium, never a downloaded browser (`.ci/run` installs it when missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags for a closed network: without the background ones Chromium keeps dialling Google's hosts. */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** Builds the playground from the current sources into a fresh folder, so tests never see a stale build. */
export async function buildPlayground(): Promise<string> {
  const outDir = mkdtempSync(path.join(tmpdir(), "orion-web-"));
  await viteBuild({
    configFile: path.resolve("web/vite.config.ts"),
    logLevel: "warn",
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}

/** Screenshots and other files a person may want to look at after a run: `test-artifacts/`. */
export function artifactPath(name: string): string {
  const dir = path.resolve("test-artifacts", "screenshots");
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
