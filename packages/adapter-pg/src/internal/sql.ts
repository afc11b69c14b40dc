// What every repository shares: the client without the host's name transforms, and the codecs of our column types.
// Rows are decoded by these schemas; a row that does not decode is a defect (the schema is ours), as is a failed
// statement: the core's services have no error channel for infrastructure.
import { databaseUnavailable } from "@mission-control/core"
import type { DatabaseUnavailable } from "@mission-control/core"
import { Effect, Schema, SchemaGetter } from "effect"
import { SqlClient, SqlError } from "effect/sql"

/** Our own SQL with no name transforms, whatever the host configured on its client. */
export const sqlClient = Effect.map(SqlClient.SqlClient, (sql) => sql.withoutTransforms())

/**
 * A `timestamptz` column: a `Date` from the driver, an ISO string inside a `jsonb` snapshot (the change feed's
 * `to_jsonb(NEW)`); written as a `Date`.
 */
export const Timestamp = Schema.Union([Schema.DateTimeUtcFromDate, Schema.DateTimeUtcFromString])

/**
 * `schema` or `null`, trying `null` first. `Schema.NullOr` tries `schema` first, and a transformation failing on
 * `null` costs about 15 times a plain check (it builds the issue it then discards): with a dozen nullable columns,
 * most of them null, that was half the time of decoding a page of agents.
 */
export const Nullable = <S extends Schema.Top>(schema: S) => Schema.Union([Schema.Null, schema])

/** A nullable `timestamptz` column. */
export const NullableTimestamp = Nullable(Timestamp)

/**
 * A `jsonb` column holding `schema`: read as the value the driver (or the snapshot) already parsed, written as JSON
 * text, which Postgres reads as `jsonb` from the column it goes into.
 */
export const Jsonb = <S extends Schema.Top>(schema: S) =>
  Nullable(Schema.Unknown.pipe(Schema.decodeTo(schema, {
    decode: SchemaGetter.passthrough(),
    encode: SchemaGetter.transform((value) => JSON.stringify(value))
  })))

/** A `bigint` column (a change sequence number) as a JavaScript number. */
export const BigIntAsNumber = Schema.BigInt.pipe(Schema.decodeTo(Schema.Number, {
  decode: SchemaGetter.transform((value: bigint) => Number(value)),
  encode: SchemaGetter.transform((value: number) => BigInt(value))
}))

/** A `count(*)::int AS total` row. */
export const CountRow = Schema.Struct({ total: Schema.Number })

/** True for a failure that may not happen again: the database unreachable or restarting, a deadlock, a timeout. */
export const isUnavailable = (error: unknown): boolean => SqlError.isSqlError(error) && error.isRetryable

/**
 * A statement's failures as the core's repositories report them: the database unavailable for now (a retryable
 * `SqlError`: a dropped connection, a restart, a deadlock) is the typed `DatabaseUnavailable`, which callers may
 * retry; anything else (a row that does not decode, our own SQL wrong) is a defect.
 */
export const databaseFailures = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, DatabaseUnavailable, R> =>
  Effect.catch(effect, (error) => isUnavailable(error) ? Effect.fail(databaseUnavailable()) : Effect.die(error))
