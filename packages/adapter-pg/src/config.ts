import type { PgClientConfig } from "@effect/sql-pg/PgClient"
import type { ClientConfig } from "pg"
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
    : `postgres://${config.username ?? ""}@${config.host ?? "localhost"}:${config.port ?? 5432}/${config.database ?? ""}`

/** The `@effect/sql-pg` client configuration. */
export const toPgClientConfig = (config: PgConnectionConfig): PgClientConfig => ({
  url: config.url,
  host: config.host,
  port: config.port,
  database: config.database,
  username: config.username,
  password: config.password,
  maxConnections: config.maxConnections ?? 10,
  applicationName: config.applicationName ?? "mission-control"
})

/** The `pg` client configuration of a dedicated connection (listener, locks). */
export const toNodePgConfig = (config: PgConnectionConfig, applicationName: string): ClientConfig => {
  const base: ClientConfig = { application_name: applicationName, connectionTimeoutMillis: 10_000 }
  if (config.url !== undefined) return { ...base, connectionString: Redacted.value(config.url) }
  return {
    ...base,
    ...(config.host === undefined ? {} : { host: config.host }),
    ...(config.port === undefined ? {} : { port: config.port }),
    ...(config.database === undefined ? {} : { database: config.database }),
    ...(config.username === undefined ? {} : { user: config.username }),
    ...(config.password === undefined ? {} : { password: Redacted.value(config.password) })
  }
}
