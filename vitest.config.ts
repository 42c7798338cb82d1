import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Test files run in parallel processes: one wasm thread each keeps them from competing for
    // the cores (test/runtime/wasm-threads.test.ts asks for the threaded build itself).
    env: { MMC_THREADS: "1" },
  },
});
