import { PgClient } from "@effect/sql-pg"
import { Effect, Layer } from "effect"
import type { SqlError } from "effect/sql"
import { SqlClient } from "effect/sql"
import type { PgConnectionConfig } from "./config.js"
import { toPgClientConfig } from "./config.js"

/**
 * `@effect/sql-pg`'s `PgClient` (and `SqlClient`) for `config`: its own wire driver and pool, released with the
 * layer. The pool connects lazily, so the layer runs one `SELECT 1` (connecting within 5 s): a wrong address or
 * password fails the layer rather than the first request. Later, a burst of requests waits for a free connection.
 */
export const layerClient = (
  config: PgConnectionConfig
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError.SqlError> =>
  Layer.effectDiscard(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1`)).pipe(
    Layer.provideMerge(PgClient.layer(toPgClientConfig(config)))
  )
