import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Servers bind port 0 and tests own their state, so files may run in parallel.
    pool: "forks",
  },
});
