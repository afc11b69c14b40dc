import { afterAll } from "@effect/vitest"
import { closeSharedTestDatabase, createTestDatabase, layerOnTestDatabase } from "@mission-control/adapter-pg/testing"
import type { TestDatabase } from "@mission-control/adapter-pg/testing"
import { TestKit } from "@mission-control/core/testing"
import { Effect, Layer } from "effect"
import { repositoryContract } from "./contract/repositoryContract.js"

// Both databases, whatever the machine has: real Postgres when a server answers (else this run says so and
// uses PGlite twice), and embedded PGlite.
for (const kind of ["postgres", "pglite"] as const) {
  let database: Promise<TestDatabase> | undefined
  afterAll(async () => {
    if (database !== undefined) await (await database).close()
  })
  const layer = () =>
    Layer.mergeAll(
      Layer.unwrap(Effect.promise(async () => {
        database ??= import("@mission-control/adapter-pg/testing").then(async (testing) =>
          createTestDatabase(kind === "postgres" ? await testing.chooseTestDatabase() : "pglite")
        )
        return layerOnTestDatabase(await database)
      })).pipe(Layer.orDie),
      TestKit.layerServices
    )
  repositoryContract(kind, layer)
}

afterAll(closeSharedTestDatabase)
