import { assert, describe, it } from "@effect/vitest"
import { makeMemoryRateLimitStore } from "@mission-control/core"
import { Effect } from "effect"
import { TestClock } from "effect/testing"

describe("the in-memory rate limit store", () => {
  const limit = { limit: 3, windowMillis: 1_000 }

  it.effect("refuses past the limit, weighs the previous window as it slides out, and counts keys apart", () =>
    Effect.gen(function*() {
      const store = makeMemoryRateLimitStore()
      const hits = (key: string, count: number) =>
        Effect.forEach(Array.from({ length: count }), () => Effect.map(store.hit(key, limit), (d) => d.allowed))
      assert.deepStrictEqual(yield* hits("a", 4), [true, true, true, false])
      assert.deepStrictEqual(yield* hits("b", 1), [true])
      // At the start of the next window the previous one still counts in full: 4 refused-and-counted + 1.
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* hits("a", 1), [false])
      // Two windows on, nothing of the old counts is left.
      yield* TestClock.adjust("2 seconds")
      assert.deepStrictEqual(yield* hits("a", 3), [true, true, true])
    }))

  it.effect("half way through a window, half of the previous window still counts", () =>
    Effect.gen(function*() {
      const store = makeMemoryRateLimitStore()
      const hit = Effect.map(store.hit("k", { limit: 4, windowMillis: 1_000 }), (d) => d.allowed)
      for (let request = 0; request < 4; request++) assert.isTrue(yield* hit)
      yield* TestClock.adjust("1500 millis")
      // previous 4 × 0.5 = 2, so two more fit.
      assert.deepStrictEqual([yield* hit, yield* hit, yield* hit], [true, true, false])
    }))
})
