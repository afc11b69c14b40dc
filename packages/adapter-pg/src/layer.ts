import * as PgClient from "@effect/sql-pg/PgClient"
import { Layer } from "effect"
import type { PgConnectionConfig } from "./config.js"
import { toPgClientConfig } from "./config.js"
import { migrate } from "./migrations.js"
import type { ChangeHubOptions } from "./PgAgentChanges.js"
import * as PgAgentChanges from "./PgAgentChanges.js"
import * as PgAgentLocks from "./PgAgentLocks.js"
import * as PgRepositories from "./PgRepositories.js"

/** Runs the migrations when the layer is built: every service below starts on an up-to-date schema. */
export const migrationLayer = Layer.effectDiscard(migrate)

/**
 * The core's repositories, transactor, change feed and agent locks on Postgres, migrations run first. Provides the
 * `SqlClient` and `PgClient` it creates, so the host can run its own queries on the same pool.
 */
export const layer = (config: PgConnectionConfig, options: ChangeHubOptions = {}) =>
  Layer.mergeAll(PgRepositories.layer, PgAgentChanges.layer(config, options), PgAgentLocks.layer(config)).pipe(
    Layer.provide(migrationLayer),
    Layer.provideMerge(PgClient.layer(toPgClientConfig(config)))
  )
