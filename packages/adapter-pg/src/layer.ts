import { Layer } from "effect"
import { layerClient } from "./client.js"
import type { PgConnectionConfig } from "./config.js"
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
  compose(PgAgentChanges.layer(config, options), PgAgentLocks.layer(config), layerClient(config))

/** The repositories with a change feed and locks, on a client, migrations first: the shape of every mode. */
export const compose = <C, L, EC, EL, RC, RL, Client, EClient>(
  changes: Layer.Layer<C, EC, RC>,
  locks: Layer.Layer<L, EL, RL>,
  client: Layer.Layer<Client, EClient>
) =>
  Layer.mergeAll(PgRepositories.layer, changes, locks).pipe(
    Layer.provide(migrationLayer),
    Layer.provideMerge(client)
  )
