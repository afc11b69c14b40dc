import { Effect } from "effect"
import { DatabaseUnavailable } from "../errors.js"
import { Transactor } from "../services/Transactor.js"

/** How long readiness waits for the database before it says it is not ready. */
export const readinessTimeout = "2 seconds"

/**
 * Whether the services can take requests: the database opens and commits a transaction within `readinessTimeout`.
 * Fails with `DatabaseUnavailable` saying what is not ready.
 */
export const checkReadiness = Effect.fn("checkReadiness")(function*() {
  const transactor = yield* Transactor
  yield* transactor.withTransaction(Effect.void).pipe(
    Effect.catchTag("DatabaseUnavailable", (error) => Effect.fail(databaseNotReady(error.detail))),
    Effect.timeoutOrElse({
      duration: readinessTimeout,
      orElse: () => Effect.fail(databaseNotReady(`the database did not answer within ${readinessTimeout}`))
    })
  )
})

const databaseNotReady = (why: string) => new DatabaseUnavailable({ detail: `Not ready: ${why}` })
