import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Fiber, Logger, Schedule } from "effect"
import { TestClock } from "effect/testing"
import { runForever } from "../src/background.js"

/** Collects the warnings logged while `effect` runs, as the default logger would print their messages. */
const withWarnings = <A, E, R>(warnings: Array<string>, effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.provide(Logger.layer([
      Logger.make(({ logLevel, message }) => {
        if (logLevel === "Warn") warnings.push((Array.isArray(message) ? message : [message]).join(" "))
      })
    ]))
  )

describe("runForever", () => {
  it.effect("a run that dies is logged as one warning and the loop runs again on schedule", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      let runs = 0
      // As a repository does with a refused connection: the SQL error becomes a defect.
      const reconcile = Effect.suspend(() => {
        runs++
        return runs <= 2
          ? Effect.die(new Error(`connection refused (run ${runs})`, { cause: new Error("ECONNREFUSED") }))
          : Effect.succeed("reconciled")
      })
      const loop = yield* withWarnings(warnings, runForever("reconcile", reconcile, Schedule.spaced("1 minute"))).pipe(
        Effect.forkChild
      )
      yield* Effect.yieldNow
      assert.strictEqual(runs, 1)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(runs, 2)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(runs, 3) // the third run succeeds
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(runs, 4) // and the loop goes on
      assert.isUndefined(loop.pollUnsafe())

      assert.strictEqual(warnings.length, 2)
      for (const [index, warning] of warnings.entries()) {
        assert.notInclude(warning, "\n")
        assert.include(warning, "reconcile failed")
        assert.include(warning, `connection refused (run ${index + 1})`)
        assert.include(warning, "ECONNREFUSED")
      }
      yield* Fiber.interrupt(loop)
    }))

  it.effect("a typed failure is retried too; interruption, even mid-run, ends the loop without a warning", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      let runs = 0
      const job = Effect.suspend(() => (++runs === 1 ? Effect.fail("database unavailable") : Effect.never))
      const loop = yield* withWarnings(warnings, runForever("job", job, Schedule.spaced("10 seconds"))).pipe(
        Effect.forkChild
      )
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(runs, 2) // the second run hangs: shutting down interrupts it
      yield* Fiber.interrupt(loop)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(runs, 2)
      assert.deepStrictEqual(warnings.map((warning) => warning.includes("database unavailable")), [true])
    }))

  it.effect("a run that ends interrupted without the loop being interrupted is retried as well", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      let runs = 0
      const job = Effect.suspend(() => (++runs === 1 ? Effect.failCause(Cause.interrupt(42)) : Effect.void))
      const loop = yield* withWarnings(warnings, runForever("job", job, Schedule.spaced("1 second"))).pipe(
        Effect.forkChild
      )
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(runs, 3)
      assert.strictEqual(warnings.length, 1)
      yield* Fiber.interrupt(loop)
    }))

  it.effect("a bounded schedule ends the loop with its output", () =>
    Effect.gen(function*() {
      let runs = 0
      const job = Effect.suspend(() => (++runs % 2 === 1 ? Effect.die("boom") : Effect.void))
      const output = yield* runForever("job", job, Schedule.recurs(3)).pipe(Effect.provide(Logger.layer([])))
      assert.strictEqual(runs, 4)
      assert.strictEqual(output, 3)
    }))
})
