import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The playground is built into dist/web, which the server serves at `/`.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    // No inline assets: the page's CSP allows scripts and styles from its own origin only.
    assetsInlineLimit: 0,
  },
});
