import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { AgentChanges, AgentLocks } from "@mission-control/core"
import { Effect, Layer } from "effect"
import { layerClient } from "./client.js"
import type { PgConnectionConfig } from "./config.js"
import { compose } from "./layer.js"
import type { ChangeHubOptions } from "./PgAgentChanges.js"
import { layerLocalSignal, LocalChangeSignal, makeChangeHub } from "./PgAgentChanges.js"

/** Options of the embedded database. */
export interface EmbeddedOptions {
  /** Directory to keep the data in; in memory when absent. */
  readonly dataDir?: string | undefined
  readonly changes?: ChangeHubOptions
}

/** A running embedded Postgres: where it listens, and the PGlite instance behind it. */
export interface EmbeddedDatabase {
  readonly db: PGlite
  readonly config: PgConnectionConfig
}

/**
 * Starts PGlite (Postgres compiled to WebAssembly, in this process) behind a loopback socket on a free port, for as
 * long as the scope lasts. PGlite is a single session, so the query pool has one connection (transactions of two
 * connections would interleave), and no transaction is ever open while the change hub reads: its changes settle at
 * once, in sequence order. PGlite does not deliver NOTIFY to socket clients: the change hub is poked by this
 * process's own writes instead (once committed), so the embedded database serves one process.
 */
export const startEmbedded = (options: Pick<EmbeddedOptions, "dataDir"> = {}) =>
  Effect.gen(function*() {
    const db = yield* Effect.acquireRelease(
      Effect.promise(() => PGlite.create(options.dataDir === undefined ? {} : { dataDir: options.dataDir })),
      (db) => Effect.promise(() => db.close().catch(() => undefined))
    )
    // PGlite is one session: the adapter's pool keeps a single connection. The server accepts a few more so that a
    // client closing its connection never makes the next one wait or fail while the old socket winds down.
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 4 })
    yield* Effect.acquireRelease(
      Effect.promise(() => server.start()),
      () => Effect.promise(() => server.stop().catch(() => undefined))
    )
    const [host, port] = server.getServerConn().split(":")
    const config: PgConnectionConfig = {
      host: host ?? "127.0.0.1",
      port: Number(port),
      database: "postgres",
      username: "postgres",
      maxConnections: 1,
      applicationName: "mission-control-embedded"
    }
    return { db, config } satisfies EmbeddedDatabase
  })

/** The adapter on an embedded database that is already running (see `startEmbedded`). */
export const layerOnEmbedded = (database: EmbeddedDatabase, options: ChangeHubOptions = {}) =>
  compose(
    Layer.effect(AgentChanges, Effect.flatMap(LocalChangeSignal, (local) => makeChangeHub(local.signals, options))),
    AgentLocks.layerMemory,
    Layer.merge(layerClient(database.config), layerLocalSignal)
  )

/** The whole adapter on a new embedded PGlite database that lives as long as the layer. */
export const layerEmbedded = (options: EmbeddedOptions = {}) =>
  Layer.unwrap(Effect.map(startEmbedded(options), (database) => layerOnEmbedded(database, options.changes)))
