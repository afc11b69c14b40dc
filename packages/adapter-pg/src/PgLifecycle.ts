// Durable lifecycle workflows on the same Postgres: `effect/cluster`'s SQL message and runner storage under the
// `mc_cluster` prefix, one runner per process, shards split between processes by advisory locks.
import type { DurableLifecycleOptions } from "@mission-control/core"
import { layerDurableLifecycle } from "@mission-control/core"
import { Duration, Effect, Layer, Option, Schedule } from "effect"
import {
  ClusterWorkflowEngine,
  MachineId,
  RunnerAddress,
  RunnerHealth,
  Runners,
  RunnerStorage,
  Sharding,
  ShardingConfig,
  Snowflake,
  SqlMessageStorage,
  SqlRunnerStorage
} from "effect/cluster"
import { Digest } from "effect/crypto"
import { SqlClient } from "effect/sql"
import { hostname } from "node:os"
import type { PgConnectionConfig } from "./config.js"
import { listenChannel } from "./PgAgentChanges.js"

/** The prefix of the cluster's tables (`mc_cluster_messages`, `mc_cluster_replies`, `mc_cluster_runners`, …). */
export const clusterTablePrefix = "mc_cluster"
/** The channel a process NOTIFYs after submitting a workflow, so the process owning its shard reads it at once. */
export const lifecycleWakeChannel = "mc_lifecycle_wake"

/** Tunables of the durable lifecycle on Postgres. */
export interface PgLifecycleOptions extends DurableLifecycleOptions {
  /**
   * This process's runner identity: unique per process. Default: the host name and process id, so a restarted
   * process is a new runner and the work of its predecessor resumes once the predecessor's shard locks expire
   * (`shardLockExpiration`). A single-process deployment that keeps the same address across restarts resumes at once.
   */
  readonly runnerAddress?: { readonly host: string; readonly port: number } | undefined
  /** How long the shards of a process that died stay with it. Default 10 seconds. */
  readonly shardLockExpiration?: Duration.Input | undefined
  /** How often a process reads the storage for work submitted elsewhere without a NOTIFY reaching it. Default 2 s. */
  readonly pollInterval?: Duration.Input | undefined
  /** Shards of the workflow entities; every process of a database must use the same number, forever. Default 64. */
  readonly shardsPerGroup?: number | undefined
  /** How long the record of a finished workflow is kept. Default 7 days. */
  readonly retention?: Duration.Input | undefined
}

const shardingConfig = (options: PgLifecycleOptions) => {
  const address = options.runnerAddress ?? { host: hostname(), port: process.pid }
  const expiration = Duration.fromInputUnsafe(options.shardLockExpiration ?? "10 seconds")
  return ShardingConfig.layer({
    runnerAddress: Option.some(RunnerAddress.make(address.host, address.port)),
    shardsPerGroup: options.shardsPerGroup ?? 64,
    shardLockExpiration: expiration,
    shardLockRefreshInterval: Duration.divideUnsafe(expiration, 3),
    entityMessagePollInterval: options.pollInterval ?? "2 seconds",
    refreshAssignmentsInterval: "1 second"
  })
}

/**
 * Deletes the records of workflows of ours that finished longer ago than `retention`: every message of the
 * execution processed, the newest older than the cutoff (message ids are snowflakes, which carry their time).
 */
const pruneFinished = (retention: Duration.Duration) =>
  Effect.gen(function*() {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const cutoff = Snowflake.make({
      timestamp: Date.now() - Duration.toMillis(retention),
      machineId: MachineId.make(0),
      sequence: 0
    })
    const finished = sql`
      SELECT entity_id FROM ${sql(`${clusterTablePrefix}_messages`)}
      WHERE entity_type LIKE 'Workflow/mission-control/%'
      GROUP BY entity_id HAVING bool_and(processed) AND max(id) < ${cutoff.toString()}::bigint`
    yield* sql.withTransaction(Effect.gen(function*() {
      yield* sql`
        DELETE FROM ${sql(`${clusterTablePrefix}_replies`)} WHERE request_id IN (
          SELECT id FROM ${sql(`${clusterTablePrefix}_messages`)} WHERE entity_id IN (${finished}))`
      yield* sql`DELETE FROM ${sql(`${clusterTablePrefix}_messages`)} WHERE entity_id IN (${finished})`
    }))
  })

/**
 * The cluster's workflow engine on the `SqlClient` in the context: its tables created by its own migrations when the
 * layer is built, a NOTIFY listener that makes this process read the storage as soon as another submits work, and
 * the pruning of finished workflows.
 */
export const layerEngine = (config: PgConnectionConfig | "embedded", options: PgLifecycleOptions = {}) => {
  // The SQL runner storage holds a connection for its locks: the embedded database has one, and one process.
  const runnerStorage = config === "embedded"
    ? RunnerStorage.layerMemory
    : Layer.orDie(SqlRunnerStorage.layerWith({ prefix: clusterTablePrefix }))
  const sharding = Sharding.layer.pipe(
    Layer.provideMerge(Runners.layerNoop),
    Layer.provideMerge(SqlMessageStorage.layerWith({ prefix: clusterTablePrefix })),
    Layer.provide([runnerStorage, RunnerHealth.layerNoop]),
    Layer.provide(shardingConfig(options)),
    Layer.provide(Digest.layerWebCrypto)
  )
  const background = Layer.effectDiscard(Effect.gen(function*() {
    const cluster = yield* Sharding.Sharding
    if (config !== "embedded") {
      yield* listenChannel(config, lifecycleWakeChannel, "mission-control-lifecycle")(() => {
        Effect.runFork(cluster.pollStorage)
      })
    }
    yield* pruneFinished(Duration.fromInputUnsafe(options.retention ?? "7 days")).pipe(
      Effect.catchCause((cause) => Effect.logWarning("pruning finished workflows failed", cause)),
      Effect.repeat(Schedule.spaced("1 hour")),
      Effect.forkScoped
    )
  }))
  return Layer.merge(ClusterWorkflowEngine.layer, background).pipe(Layer.provideMerge(sharding))
}

/**
 * `DurableLifecycle` on Postgres: provisioning runs as workflows stored in this database, shared by every process
 * on it (docs/lifecycle.md). Needs the adapter's `SqlClient` and the core services in the context, as the API does.
 */
export const layer = (config: PgConnectionConfig, options: PgLifecycleOptions = {}) =>
  Layer.unwrap(Effect.map(SqlClient.SqlClient, (sql) => {
    const notify = sql`SELECT pg_notify(${lifecycleWakeChannel}, '')`.pipe(Effect.ignore)
    return layerDurableLifecycle({ wake: options.wake ?? notify })
  })).pipe(Layer.provide(layerEngine(config, options)))

/** `DurableLifecycle` on the embedded database (`layerEmbedded`): one process, its runner kept in memory. */
export const layerEmbedded = (options: Omit<PgLifecycleOptions, "runnerAddress" | "shardLockExpiration"> = {}) =>
  layerDurableLifecycle(options).pipe(Layer.provide(layerEngine("embedded", options)))
