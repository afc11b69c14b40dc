import { assert, describe, it } from "@effect/vitest"
import { checkReadiness, databaseUnavailable, Transactor } from "@mission-control/core"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"

const withTransactor = (withTransaction: Transactor["Service"]["withTransaction"]) =>
  Layer.succeed(Transactor, Transactor.of({ withTransaction }))

describe("readiness", () => {
  it.effect("ready when the database commits a transaction", () =>
    checkReadiness().pipe(Effect.provide(withTransactor((effect) => effect))))

  it.effect("not ready, saying why, when the database is unavailable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(checkReadiness())
      assert.strictEqual(error._tag, "DatabaseUnavailable")
      assert.strictEqual(error.detail, "Not ready: Database unavailable, try again")
    }).pipe(Effect.provide(withTransactor(() => Effect.fail(databaseUnavailable())))))

  it.effect("not ready when the database does not answer within two seconds", () =>
    Effect.gen(function*() {
      const probe = yield* Effect.forkChild(Effect.flip(checkReadiness()))
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(probe)
      assert.strictEqual(error.detail, "Not ready: the database did not answer within 2 seconds")
    }).pipe(Effect.provide(withTransactor(() => Effect.never))))
})
