import { Duration, Effect, TestClock } from "effect"

const macrotask = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/**
 * Moves the test clock forward in steps, letting real asynchronous work (WebCrypto hashing) settle between them,
 * so that sleeps scheduled after such work still fire.
 */
export const advanceClock = (total: Duration.DurationInput, step: Duration.DurationInput = "1 second") =>
  Effect.gen(function*() {
    const steps = Math.ceil(Duration.toMillis(total) / Duration.toMillis(step))
    for (let index = 0; index < steps; index++) {
      yield* macrotask
      yield* TestClock.adjust(step)
    }
    yield* macrotask
  })
