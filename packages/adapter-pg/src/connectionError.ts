import { Option, Predicate, Schema } from "effect"
import type { SqlError } from "effect/sql"
import type { PgConnectionConfig } from "./config.js"
import { describeConnection } from "./config.js"

/** Why a connection to the database could not be opened. */
export const PgConnectionProblem = Schema.Literals([
  /** The settings cannot work as written: a URL that does not parse, another protocol, no user name. */
  "InvalidConfig",
  /** Nothing accepts connections at the address, or the host name does not resolve. */
  "Unreachable",
  /** The server did not finish connecting within the connect timeout. */
  "Timeout",
  /** The server answers, but the database named does not exist on it. */
  "DatabaseMissing",
  /** The server refused the user name or password. */
  "AuthenticationFailed",
  /** The server refused the session for another reason (starting up, too many connections, TLS). */
  "Refused"
])
export type PgConnectionProblem = typeof PgConnectionProblem.Type

/**
 * A connection to the database that could not be opened, classified so that a host can tell its operator what to
 * fix. `detail` says what failed in one sentence and `connection` where (`describeConnection`): neither holds the
 * password.
 */
export class PgConnectionError extends Schema.TaggedError<PgConnectionError>()("PgConnectionError", {
  problem: PgConnectionProblem,
  detail: Schema.String,
  connection: Schema.String
}) {
  /** `detail`, so logs and `Cause.pretty` show it like any `Error`'s message. */
  override get message(): string {
    return this.detail
  }
}

// Node's socket error codes, in words.
const socketErrors: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "connection timed out"
}

// The driver's own texts (`@effect/sql-pg`'s PgConnection) for settings it rejects before opening a socket.
const driverConfigErrors =
  /^PgConnection: (Invalid connection URL|Invalid percent-encoding|Invalid port in URL|Invalid connect_timeout|Unsupported connection URL protocol|Unrecognized sslmode|No username configured|keepAlive|Reserved startup parameter|Startup parameter)/

const fieldOf = (value: unknown, name: string): string | undefined =>
  Predicate.hasProperty(value, name) && typeof value[name] === "string" ? value[name] : undefined

const lowerFirst = (text: string): string => text.charAt(0).toLowerCase() + text.slice(1)

/**
 * The connection problem behind `error` when it is one (an `SqlError` of the `connect` operation), with the server's
 * or the socket's reason in words; `None` for a statement that failed on an open connection.
 */
export const toConnectionError = (
  error: SqlError.SqlError,
  config: PgConnectionConfig
): Option.Option<PgConnectionError> => {
  const reason = error.reason
  if (reason.operation !== "connect") return Option.none()
  const make = (problem: PgConnectionProblem, detail: string) =>
    Option.some(new PgConnectionError({ problem, detail, connection: describeConnection(config) }))
  const message = reason.message ?? ""
  const driverSaid = lowerFirst(message.replace(/^PgConnection: /, ""))
  const cause = reason.cause
  const code = fieldOf(cause, "code")
  // An error the server reported (an ErrorResponse) carries its SQLSTATE and severity; its message says it best.
  const serverSaid = fieldOf(cause, "severity") === undefined ? undefined : fieldOf(cause, "message")
  if (serverSaid !== undefined) {
    // 3D000 invalid_catalog_name; class 28 invalid authorization specification.
    if (code === "3D000") return make("DatabaseMissing", serverSaid)
    if (code?.startsWith("28") === true) return make("AuthenticationFailed", serverSaid)
    return make("Refused", serverSaid)
  }
  if (reason._tag === "AuthenticationError") {
    const causeSaid = fieldOf(cause, "message")
    return make(
      "AuthenticationFailed",
      causeSaid === undefined ? driverSaid : `${driverSaid}: ${lowerFirst(causeSaid)}`
    )
  }
  if (code === "ERR_INVALID_URL") return make("InvalidConfig", "the database URL is not a valid URL")
  if (driverConfigErrors.test(message)) return make("InvalidConfig", driverSaid)
  if (code !== undefined && code in socketErrors) return make("Unreachable", socketErrors[code]!)
  if (message === "PgConnection: Connection timed out") return make("Timeout", "the connection timed out")
  if (message === "PgConnection: Connection closed during startup") {
    return make("Unreachable", "the server closed the connection before the session started (is it Postgres?)")
  }
  return make("Refused", driverSaid)
}
