import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests run against the sources, never a stale dist.
    alias: [
      { find: "@mission-control/core/testing", replacement: source("./packages/core/src/testing/index.ts") },
      { find: "@mission-control/core", replacement: source("./packages/core/src/index.ts") },
      { find: "@mission-control/adapter-pg/testing", replacement: source("./packages/adapter-pg/src/testing/index.ts") },
      { find: "@mission-control/adapter-pg", replacement: source("./packages/adapter-pg/src/index.ts") },
      { find: "@mission-control/gateway-rpc/testing", replacement: source("./packages/gateway-rpc/src/testing/index.ts") },
      { find: "@mission-control/gateway-rpc", replacement: source("./packages/gateway-rpc/src/index.ts") },
      { find: "@mission-control/adapter-express", replacement: source("./packages/adapter-express/src/index.ts") }
    ]
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts", "docs/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    coverage: {
      provider: "v8",
      include: ["packages/*/src/**/*.ts"],
      reporter: ["text-summary", "json-summary"]
    }
  }
})
