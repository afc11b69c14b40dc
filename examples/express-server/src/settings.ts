// The example's settings, read from the environment and checked before anything starts: a setting that cannot work
// fails at once, naming itself, rather than as a driver's error later.
import { Effect, Redacted } from "effect"
import type { LogLevel } from "effect"
import { StartupError } from "./startupError.js"

/** Where the data lives: the embedded PGlite (in memory, or in `dataDir`), or a Postgres server. */
export type DatabaseSetting =
  | { readonly _tag: "Embedded"; readonly dataDir: string | undefined }
  | { readonly _tag: "Postgres"; readonly url: Redacted.Redacted<string> }

/** A real OpenClaw gateway for the first organization. */
export interface GatewaySetting {
  readonly url: string
  readonly token: Redacted.Redacted<string> | null
}

/** What the example runs with. */
export interface Settings {
  /** 0 picks a free port. */
  readonly port: number
  readonly database: DatabaseSetting
  /** Absent: the first organization gets a gateway simulator, as the second always does. */
  readonly gateway: GatewaySetting | undefined
  readonly logLevel: LogLevel.LogLevel
}

/** The environment, as `process.env` is. */
export type Environment = Readonly<Record<string, string | undefined>>

/** An environment variable, blank counting as unset. */
const read = (env: Environment, name: string): string | undefined => {
  const value = env[name]?.trim()
  return value === undefined || value === "" ? undefined : value
}

const parseUrl = (text: string): URL | undefined => {
  try {
    return new URL(text)
  } catch {
    return undefined
  }
}

const logLevels: Readonly<Record<string, LogLevel.LogLevel>> = {
  all: "All",
  trace: "Trace",
  debug: "Debug",
  info: "Info",
  warn: "Warn",
  warning: "Warn",
  error: "Error",
  fatal: "Fatal",
  none: "None"
}

const readPort = (env: Environment): Effect.Effect<number, StartupError> => {
  const text = read(env, "PORT")
  if (text === undefined) return Effect.succeed(8000)
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN
  return port >= 0 && port <= 65535 ? Effect.succeed(port) : Effect.fail(
    new StartupError({
      detail: `PORT is not a port number ("${text}")`,
      setting: "PORT",
      remedy: "Set PORT to a number from 0 to 65535 (0 picks a free port)"
    })
  )
}

// The value is never echoed: a URL that does not parse may still hold a password.
const readDatabase = (env: Environment): Effect.Effect<DatabaseSetting, StartupError> => {
  const text = read(env, "DATABASE_URL")
  if (text === undefined) return Effect.succeed({ _tag: "Embedded", dataDir: read(env, "MC_DATA_DIR") })
  const url = parseUrl(text)
  return url !== undefined && (url.protocol === "postgres:" || url.protocol === "postgresql:")
    ? Effect.succeed({ _tag: "Postgres", url: Redacted.make(text) })
    : Effect.fail(
      new StartupError({
        detail: url === undefined
          ? "DATABASE_URL is not a URL"
          : `DATABASE_URL is not a postgres:// URL (its scheme is "${url.protocol.slice(0, -1)}")`,
        setting: "DATABASE_URL",
        remedy: "Set it to postgres://user:password@host:5432/database, or unset it to use the embedded database"
      })
    )
}

const readGateway = (env: Environment): Effect.Effect<GatewaySetting | undefined, StartupError> => {
  const text = read(env, "GATEWAY_URL")
  if (text === undefined) return Effect.succeed(undefined)
  const url = parseUrl(text)
  if (url === undefined || (url.protocol !== "ws:" && url.protocol !== "wss:")) {
    return Effect.fail(
      new StartupError({
        detail: url === undefined
          ? "GATEWAY_URL is not a URL"
          : `GATEWAY_URL is not a ws:// or wss:// URL (its scheme is "${url.protocol.slice(0, -1)}")`,
        setting: "GATEWAY_URL",
        remedy: "Set it to the gateway's ws:// or wss:// URL (ws://host:18789), or unset it to use a simulator"
      })
    )
  }
  const token = read(env, "GATEWAY_TOKEN")
  return Effect.succeed({ url: text, token: token === undefined ? null : Redacted.make(token) })
}

const readLogLevel = (env: Environment): Effect.Effect<LogLevel.LogLevel, StartupError> => {
  const text = read(env, "MC_LOG_LEVEL")
  if (text === undefined) return Effect.succeed("Info")
  const level = logLevels[text.toLowerCase()]
  return level !== undefined ? Effect.succeed(level) : Effect.fail(
    new StartupError({
      detail: `MC_LOG_LEVEL is not a log level ("${text}")`,
      setting: "MC_LOG_LEVEL",
      remedy: `Set it to one of ${Object.keys(logLevels).join(", ")}`
    })
  )
}

/** The settings in `env`, or the first one that cannot work. */
export const readSettings = (env: Environment): Effect.Effect<Settings, StartupError> =>
  Effect.all({
    logLevel: readLogLevel(env),
    port: readPort(env),
    database: readDatabase(env),
    gateway: readGateway(env)
  })
