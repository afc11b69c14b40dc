import { RateLimitStore, windowStartOf, withinLimit } from "@mission-control/core"
import { Clock, Effect, Layer, Schema } from "effect"
import { SqlSchema } from "effect/sql"
import { databaseFailures, sqlClient } from "./internal/sql.js"

const Counts = Schema.Struct({
  window_start: Schema.NumberFromString,
  hits: Schema.Number,
  previous_hits: Schema.Number
})

/**
 * `RateLimitStore` in `mc_rate_limits`: every process on the database counts against the same limit. One statement
 * per request moves the key's window forward and counts the request, atomically under concurrent callers. Once a
 * window, a process deletes the keys idle for two windows (every random token an unauthenticated caller sends leaves
 * one).
 */
export const layer = Layer.effect(
  RateLimitStore,
  Effect.gen(function*() {
    const sql = yield* sqlClient
    const hit = SqlSchema.findOne({
      Request: Schema.Struct({ key: Schema.String, windowStart: Schema.Number, windowMillis: Schema.Number }),
      Result: Counts,
      execute: ({ key, windowMillis, windowStart }) =>
        sql`
          INSERT INTO mc_rate_limits AS r (key, window_start, hits, previous_hits)
          VALUES (${key}, ${windowStart}, 1, 0)
          ON CONFLICT (key) DO UPDATE SET
            previous_hits = CASE
              WHEN r.window_start = EXCLUDED.window_start THEN r.previous_hits
              WHEN r.window_start = EXCLUDED.window_start - ${windowMillis} THEN r.hits
              ELSE 0 END,
            hits = CASE WHEN r.window_start = EXCLUDED.window_start THEN r.hits + 1 ELSE 1 END,
            window_start = EXCLUDED.window_start
          RETURNING window_start::text, hits, previous_hits`
    })
    let lastPrune = 0
    const pruneIdle = (at: number, windowMillis: number) => {
      if (at - lastPrune < windowMillis) return Effect.void
      lastPrune = at
      return Effect.asVoid(
        sql`DELETE FROM mc_rate_limits WHERE window_start < ${windowStartOf(at, windowMillis) - windowMillis}`
      )
    }
    return RateLimitStore.of({
      hit: (key, limit) =>
        Effect.gen(function*() {
          const at = yield* Clock.currentTimeMillis
          yield* pruneIdle(at, limit.windowMillis)
          const counts = yield* hit({
            key,
            windowStart: windowStartOf(at, limit.windowMillis),
            windowMillis: limit.windowMillis
          })
          return {
            allowed: withinLimit(
              { windowStart: counts.window_start, hits: counts.hits, previousHits: counts.previous_hits },
              at,
              limit
            )
          }
        }).pipe(databaseFailures)
    })
  })
)
