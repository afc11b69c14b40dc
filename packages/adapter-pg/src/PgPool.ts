import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import type { Statement } from "@effect/sql/Statement"
import { Context, Effect, Layer, Option } from "effect"
import pg from "pg"
import type { PgConnectionConfig } from "./config.js"
import { toNodePgConfig } from "./config.js"

type Row = Readonly<Record<string, unknown>>

/** The `pg` pool under the adapter's `SqlClient` and `PgClient`: one pool, whichever way a statement goes. */
export class PgPool extends Context.Tag("@mission-control/adapter-pg/PgPool")<PgPool, pg.Pool>() {}

/**
 * A pool for `config`, closed with the scope, and checked with one query (5 s at most) so that a wrong address or
 * password fails the layer rather than the first request. As `@effect/sql-pg`'s own pool, it waits for a free
 * connection as long as it takes: a burst of requests queues, it does not fail.
 */
const acquirePool = (config: PgConnectionConfig, applicationName: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const pool = new pg.Pool({
        ...toNodePgConfig(config, applicationName),
        connectionTimeoutMillis: 0,
        max: config.maxConnections ?? 10
      })
      pool.on("error", () => {}) // an idle connection dropped: the pool replaces it on the next checkout
      return pool
    }),
    (pool) => Effect.promise(() => pool.end()).pipe(Effect.interruptible, Effect.timeoutOption("1 second"))
  ).pipe(
    Effect.tap((pool) =>
      Effect.tryPromise({
        try: () => pool.query("SELECT 1"),
        catch: (cause) => new SqlError({ cause, message: "PgClient: Failed to connect" })
      }).pipe(Effect.timeoutFail({
        duration: "5 seconds",
        onTimeout: () => new SqlError({ cause: new Error("Connection timed out"), message: "PgClient: Connection timed out" })
      })))
  )

/** `PgPool`, and `@effect/sql-pg`'s `PgClient` and `SqlClient` on that same pool. */
export const layerClient = (config: PgConnectionConfig): Layer.Layer<PgPool | PgClient.PgClient | SqlClient.SqlClient, SqlError> =>
  Layer.unwrapScoped(Effect.map(acquirePool(config, config.applicationName ?? "mission-control"), (pool) =>
    Layer.merge(
      Layer.succeed(PgPool, pool),
      PgClient.layerFromPool({ acquire: Effect.succeed(pool), applicationName: config.applicationName ?? "mission-control" })
    )))

/** Runs compiled SQL on a pooled connection; failures are `SqlError`s, as `@effect/sql`'s are. */
const runOnPool = (pool: pg.Pool, [text, params]: readonly [string, ReadonlyArray<unknown>]) =>
  Effect.async<ReadonlyArray<Row>, SqlError>((resume) => {
    pool.query(text, params as Array<unknown>, (cause, result) =>
      resume(cause ? Effect.fail(new SqlError({ cause, message: "Failed to execute statement" })) : Effect.succeed(result.rows)))
  })

/**
 * How the statements that every agent request runs are executed. Outside a transaction they go straight to the pool:
 * `@effect/sql` wraps each statement in a span and a scope, which on this path cost about as much CPU as all the rest
 * of the request (docs/performance.md). Inside a transaction, or with no `PgPool` in context, they run as any other statement. The
 * statement is still written as an `@effect/sql` template, compiled once per call, so both ways run the same SQL.
 * An interrupted call stops waiting; the statement itself, atomic, completes or not on the server.
 */
export const makeHotPath = Effect.map(Effect.serviceOption(PgPool), Option.match({
  onNone: () => (statement: Statement<Row>): Effect.Effect<ReadonlyArray<Row>, SqlError> => statement,
  onSome: (pool) => (statement: Statement<Row>): Effect.Effect<ReadonlyArray<Row>, SqlError> =>
    Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) =>
      transaction._tag === "Some" ? statement : runOnPool(pool, statement.compile()))
}))
