import { Transactor } from "@mission-control/core"
import { Effect, Layer } from "effect"
import { SqlClient, SqlError } from "effect/sql"

/** `Transactor` on the `SqlClient` in context: the core's transaction boundary is a database transaction. */
export const layer = Layer.effect(
  Transactor,
  Effect.map(SqlClient.SqlClient, (sql) =>
    Transactor.of({
      // A failed BEGIN or COMMIT is infrastructure, a defect; the effect's own errors pass through unchanged.
      withTransaction: (effect) =>
        sql.withTransaction(effect).pipe(Effect.catchIf(SqlError.isSqlError, (error) => Effect.die(error)))
    }))
)
