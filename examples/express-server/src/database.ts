// The example's database (embedded PGlite, or the Postgres at DATABASE_URL) and what its failure to start means to
// the operator.
import * as PgAdapter from "@mission-control/adapter-pg"
import type { PgConnectionError } from "@mission-control/adapter-pg"
import { Cause, Option, Redacted } from "effect"
import { SqlError } from "effect/sql"
import { causeLine } from "./background.js"
import type { DatabaseSetting } from "./settings.js"
import { StartupError } from "./startupError.js"

/** The adapter on the database of `setting`. */
export const databaseLayer = (setting: DatabaseSetting) =>
  setting._tag === "Embedded"
    ? PgAdapter.layerEmbedded({ dataDir: setting.dataDir })
    : PgAdapter.layer({ url: setting.url })

/** The durable lifecycle on the database of `setting` (one process on the embedded one). */
export const lifecycleLayer = (setting: DatabaseSetting) =>
  setting._tag === "Embedded"
    ? PgAdapter.PgLifecycle.layerEmbedded()
    : PgAdapter.PgLifecycle.layer({ url: setting.url })

/** Where the data is, for the lines the example prints: never a password. */
export const describeDatabase = (setting: DatabaseSetting): string =>
  setting._tag === "Embedded"
    ? `embedded PGlite${setting.dataDir === undefined ? " (in memory)" : ` in ${setting.dataDir}`}`
    : PgAdapter.describeConnection({ url: setting.url })

const databaseName = (url: Redacted.Redacted<string>): string => {
  try {
    return decodeURIComponent(new URL(Redacted.value(url)).pathname.slice(1)) || "<database>"
  } catch {
    return "<database>"
  }
}

const connectionFailure = (error: PgConnectionError, url: Redacted.Redacted<string>): StartupError => {
  const at = error.connection
  switch (error.problem) {
    case "InvalidConfig":
      return new StartupError({
        detail: `DATABASE_URL cannot be used: ${error.detail}`,
        setting: "DATABASE_URL",
        remedy: "Set it to postgres://user:password@host:5432/database, or unset it to use the embedded database"
      })
    case "Unreachable":
      return new StartupError({
        detail: `no database answers at ${at}: ${error.detail}`,
        setting: "DATABASE_URL",
        remedy:
          "Start Postgres there, or point DATABASE_URL at a running server (unset it to use the embedded database)"
      })
    case "Timeout":
      return new StartupError({
        detail: `the database at ${at} did not answer in time: ${error.detail}`,
        setting: "DATABASE_URL",
        remedy: "Check the host and port in DATABASE_URL, and that no firewall drops the connection"
      })
    case "DatabaseMissing":
      return new StartupError({
        detail: `Postgres at ${at}: ${error.detail}`,
        setting: "DATABASE_URL",
        remedy: `Create it (createdb ${databaseName(url)}), or point DATABASE_URL at an existing database`
      })
    case "AuthenticationFailed":
      return new StartupError({
        detail: `Postgres at ${at} refused the credentials: ${error.detail}`,
        setting: "DATABASE_URL",
        remedy: "Fix the user name and password in DATABASE_URL"
      })
    case "Refused":
      return new StartupError({
        detail: `Postgres at ${at} refused the connection: ${error.detail}`,
        setting: "DATABASE_URL",
        remedy: "Check the server's log, and start again once it accepts connections"
      })
  }
}

/** What a failure to build the database layer of `setting` (its `cause`) means, and what to do about it. */
export const databaseFailure = (setting: DatabaseSetting, cause: Cause.Cause<unknown>): StartupError => {
  const said = causeLine(cause)
  if (setting._tag === "Embedded") {
    return new StartupError({
      detail: `the embedded database could not start${
        setting.dataDir === undefined ? "" : ` in ${setting.dataDir}`
      }: ${said}`,
      setting: setting.dataDir === undefined ? null : "MC_DATA_DIR",
      remedy: setting.dataDir === undefined
        ? "Please report it, with the debug log"
        : "Check that MC_DATA_DIR is a writable directory holding a PGlite database, or unset it to keep the data in memory"
    })
  }
  const error = Cause.squash(cause)
  const connection = SqlError.isSqlError(error)
    ? PgAdapter.toConnectionError(error, { url: setting.url })
    : Option.none()
  if (Option.isSome(connection)) return connectionFailure(connection.value, setting.url)
  return new StartupError({
    detail: `preparing the database at ${PgAdapter.describeConnection({ url: setting.url })} failed: ${said}`,
    setting: "DATABASE_URL",
    remedy: "Check that the user in DATABASE_URL may create tables in that database (docs/postgres.md)"
  })
}
