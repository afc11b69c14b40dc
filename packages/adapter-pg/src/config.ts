import type { PgClient, PgConnection } from "@effect/sql-pg"
import { Redacted } from "effect"

/** Where the database is: a URL, or fields. The password never appears in logs or errors. */
export interface PgConnectionConfig {
  readonly url?: Redacted.Redacted<string> | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly database?: string | undefined
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  /** Size of the query pool (default 10). The change listener and the lock connection come on top. */
  readonly maxConnections?: number | undefined
  readonly applicationName?: string | undefined
}

/** The URL with its password replaced by `***`, for logs. */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return "<invalid database url>"
  }
}

/** A printable description of the connection, without secrets. */
export const describeConnection = (config: PgConnectionConfig): string =>
  config.url !== undefined
    ? redactUrl(Redacted.value(config.url))
    : `postgres://${config.username ?? ""}@${config.host ?? "localhost"}:${config.port ?? 5432}/${
      config.database ?? ""
    }`

/** The settings of one dedicated session (the change listener, the lock connection), named `applicationName`. */
export const toConnectionConfig = (config: PgConnectionConfig, applicationName: string): PgConnection.Config => ({
  url: config.url,
  host: config.host,
  port: config.port,
  database: config.database,
  username: config.username,
  password: config.password,
  applicationName,
  connectTimeout: "10 seconds"
})

/** The settings of the query pool of `@effect/sql-pg`'s `PgClient`. */
export const toPgClientConfig = (config: PgConnectionConfig): PgClient.PgPoolConfig => ({
  ...toConnectionConfig(config, config.applicationName ?? "mission-control"),
  connectTimeout: "5 seconds",
  maxConnections: config.maxConnections ?? 10
})
