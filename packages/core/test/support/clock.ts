import type { Effect as EffectType } from "effect"
import { Duration, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"

const realPause = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 2)))

/**
 * Runs `effect` while moving the test clock forward in `step`s, pausing for real between steps so that real I/O
 * (WebCrypto, a database) can progress and reach its next sleep. Stops as soon as the effect is done; gives up after
 * `limit` of test time.
 */
export const runWithTestClock = <A, E, R>(
  effect: EffectType.Effect<A, E, R>,
  options: { readonly step?: Duration.Input; readonly limit?: Duration.Input } = {}
) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(effect)
    const step = Duration.fromInputUnsafe(options.step ?? "1 second")
    const steps = Math.ceil(Duration.toMillis(options.limit ?? "30 minutes") / Duration.toMillis(step))
    for (let index = 0; index < steps; index++) {
      yield* realPause
      if (fiber.pollUnsafe() !== undefined) break
      yield* TestClock.adjust(step)
    }
    return yield* Fiber.join(fiber)
  })
