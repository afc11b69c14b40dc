import { availableParallelism } from "node:os"
import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

// vitest 5's reporter prints failures with `Map.groupBy`, which Node has from 21 on; we support Node 20.19+. Without
// this, a failing test on Node 20 shows a reporter crash instead of its assertion.
if (!("groupBy" in Map)) {
  Object.defineProperty(Map, "groupBy", {
    configurable: true,
    writable: true,
    value: <K, T>(items: Iterable<T>, keyOf: (item: T, index: number) => K): Map<K, Array<T>> => {
      const groups = new Map<K, Array<T>>()
      let index = 0
      for (const item of items) {
        const key = keyOf(item, index++)
        const group = groups.get(key)
        if (group === undefined) groups.set(key, [item])
        else group.push(item)
      }
      return groups
    }
  })
}

export default defineConfig({
  resolve: {
    // Tests run against the sources, never a stale dist.
    alias: [
      { find: "@mission-control/core/testing", replacement: source("./packages/core/src/testing/index.ts") },
      { find: "@mission-control/core/http", replacement: source("./packages/core/src/http/index.ts") },
      { find: "@mission-control/core", replacement: source("./packages/core/src/index.ts") },
      {
        find: "@mission-control/adapter-pg/testing",
        replacement: source("./packages/adapter-pg/src/testing/index.ts")
      },
      { find: "@mission-control/adapter-pg", replacement: source("./packages/adapter-pg/src/index.ts") },
      {
        find: "@mission-control/gateway-rpc/testing",
        replacement: source("./packages/gateway-rpc/src/testing/index.ts")
      },
      { find: "@mission-control/gateway-rpc", replacement: source("./packages/gateway-rpc/src/index.ts") },
      { find: "@mission-control/adapter-express", replacement: source("./packages/adapter-express/src/index.ts") }
    ]
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One module graph per worker rather than per file: importing effect and our packages again for each of a
    // hundred files was a third of the suite's time. No test relies on fresh module state (each builds its layers).
    isolate: false,
    // The files mostly wait (sockets, worker processes, Postgres): on 2 cores three workers took the suite from
    // 6 min to 3, where vitest's default of one fewer worker than cores runs one file at a time.
    maxWorkers: Math.max(3, availableParallelism()),
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts", "docs/**/*.test.ts"]
        }
      },
      {
        // Against a real OpenClaw gateway; `pnpm test:interop` starts one and runs this project.
        extends: true,
        test: { name: "interop", include: ["packages/*/interop/**/*.interop.ts"], testTimeout: 180_000 }
      },
      {
        // The core's program suite again, on the Postgres adapter (PGlite when no server answers).
        extends: true,
        test: {
          name: "core-on-postgres",
          include: ["packages/core/test/**/*.test.ts"],
          exclude: ["packages/core/test/dist.test.ts", "packages/core/test/identity.test.ts"],
          env: { MC_TEST_STORE: "postgres" },
          setupFiles: ["packages/core/test/support/postgres-setup.ts"]
        }
      }
    ],
    coverage: {
      provider: "v8",
      include: ["packages/*/src/**/*.ts"],
      reporter: ["text-summary", "json-summary"]
    }
  }
})
