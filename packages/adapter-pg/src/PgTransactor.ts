import type { DatabaseUnavailable } from "@mission-control/core"
import { databaseUnavailable, Transactor } from "@mission-control/core"
import { Cause, Effect, Layer } from "effect"
import { SqlClient, SqlError } from "effect/sql"
import { isUnavailable } from "./internal/sql.js"

// `DatabaseUnavailable` by tag, as the core matches its errors, so one from another copy of the package counts.
const isLostDatabase = (value: unknown): boolean =>
  isUnavailable(value) ||
  (typeof value === "object" && value !== null && "_tag" in value && value._tag === "DatabaseUnavailable")

/**
 * What a transaction's failure means to the core. A connection lost inside it fails the work and then its ROLLBACK,
 * which `effect/sql` reports as defects: nothing was committed, so it is `DatabaseUnavailable`, like a failed
 * BEGIN or COMMIT. The work's own errors pass through unchanged; any other SQL failure is a defect.
 */
const transactionFailure = <E>(
  cause: Cause.Cause<E | SqlError.SqlError>
): Effect.Effect<never, E | DatabaseUnavailable> => {
  if (!Cause.hasInterrupts(cause)) {
    for (const reason of cause.reasons) {
      if (Cause.isFailReason(reason) && !SqlError.isSqlError(reason.error) && !isLostDatabase(reason.error)) {
        return Effect.fail(reason.error as E)
      }
    }
    const lost = cause.reasons.some((reason) =>
      Cause.isFailReason(reason)
        ? isLostDatabase(reason.error)
        : Cause.isDieReason(reason) && isLostDatabase(reason.defect)
    )
    if (lost) return Effect.fail(databaseUnavailable())
  }
  for (const reason of cause.reasons) {
    if (Cause.isFailReason(reason) && SqlError.isSqlError(reason.error)) return Effect.die(reason.error)
  }
  // No SQL failure left in it: only the work's own errors, defects and interruptions.
  return Effect.failCause(cause as Cause.Cause<E>)
}

/** `Transactor` on the `SqlClient` in context: the core's transaction boundary is a database transaction. */
export const layer = Layer.effect(
  Transactor,
  Effect.map(SqlClient.SqlClient, (sql) =>
    Transactor.of({
      withTransaction: (effect) => sql.withTransaction(effect).pipe(Effect.catchCause(transactionFailure))
    }))
)
