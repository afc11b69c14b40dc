// The shared rate limit on the database: two "processes" (separate pools, on Postgres) count against one limit, and
// concurrent requests never let more through than the limit.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { PgRateLimitStore } from "@mission-control/adapter-pg"
import { closeSharedTestDatabase, layerOnTestDatabase, sharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { RateLimitStore } from "@mission-control/core"
import type { RateLimit } from "@mission-control/core"
import { Effect, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"

afterAll(closeSharedTestDatabase)

/** A "process": its own pool on the shared database (emptied when it starts, so both start before any request). */
const process = async () => {
  const database = await sharedTestDatabase()
  const runtime = ManagedRuntime.make(
    PgRateLimitStore.layer.pipe(Layer.provideMerge(Layer.orDie(layerOnTestDatabase(database))))
  )
  await runtime.runPromise(Effect.void)
  return runtime
}

const hourly = (limit: number): RateLimit => ({ limit, windowMillis: 3_600_000 })

describe("PgRateLimitStore", () => {
  it("two processes share one limit per key; other keys have their own", async () => {
    const [first, second] = [await process(), await process()]
    try {
      const hit = (runtime: typeof first, key: string, limit: RateLimit) =>
        runtime.runPromise(Effect.flatMap(RateLimitStore, (store) => store.hit(key, limit)))
      const allowed: Array<boolean> = []
      for (let request = 0; request < 3; request++) allowed.push((await hit(first, "agent:a", hourly(5))).allowed)
      for (let request = 0; request < 3; request++) allowed.push((await hit(second, "agent:a", hourly(5))).allowed)
      assert.deepStrictEqual(allowed, [true, true, true, true, true, false])
      assert.isFalse((await hit(first, "agent:a", hourly(5))).allowed)
      assert.isTrue((await hit(second, "agent:b", hourly(5))).allowed)
    } finally {
      await first.dispose()
      await second.dispose()
    }
  })

  it("keys idle for two windows are deleted, once a window", async () => {
    const runtime = await process()
    try {
      const count = () =>
        runtime.runPromise(
          Effect.flatMap(SqlClient.SqlClient, (sql) =>
            Effect.map(sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM mc_rate_limits`, (rows) =>
              rows[0]!.n))
        )
      const short = { limit: 5, windowMillis: 200 }
      const hit = (key: string) => runtime.runPromise(Effect.flatMap(RateLimitStore, (store) => store.hit(key, short)))
      for (let key = 0; key < 5; key++) await hit(`random:${key}`)
      assert.strictEqual(await count(), 5)
      await new Promise((resolve) => setTimeout(resolve, 650))
      await hit("fresh")
      assert.strictEqual(await count(), 1)
    } finally {
      await runtime.dispose()
    }
  })

  it("concurrent requests from both processes let exactly the limit through", async () => {
    const [first, second] = [await process(), await process()]
    try {
      const burst = (runtime: typeof first) =>
        runtime.runPromise(Effect.flatMap(RateLimitStore, (store) =>
          Effect.forEach(
            Array.from({ length: 10 }, () => store.hit("agent:burst", hourly(8))),
            (hit) => hit,
            { concurrency: 10 }
          )))
      const decisions = (await Promise.all([burst(first), burst(second)])).flat()
      assert.strictEqual(decisions.filter((decision) => decision.allowed).length, 8)
    } finally {
      await first.dispose()
      await second.dispose()
    }
  })
})
