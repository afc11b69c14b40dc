import * as SqlClient from "@effect/sql/SqlClient"
import type { AgentChange, AgentChangeFeed } from "@mission-control/core"
import { AgentChanges, makeChangeFanout } from "@mission-control/core"
import type { Scope } from "effect"
import { Context, Duration, Effect, Layer, Queue, Ref, Schedule } from "effect"
import pg from "pg"
import type { PgConnectionConfig } from "./config.js"
import { toNodePgConfig } from "./config.js"
import { agentChangeChannel } from "./migrations.js"
import { agentFromRow } from "./rows.js"

/**
 * How the change hub learns that changes were committed: the source calls `signal` ("look for changes") for as long
 * as the scope is open. A plain callback, as it runs on every agent write of every process.
 */
export type ChangeSignals = (signal: () => void) => Effect.Effect<void, never, Scope.Scope>

/** Tunables of the change hub. */
export interface ChangeHubOptions {
  /** Changes older than this are deleted; a subscriber resuming from further back misses them. Default 1 day. */
  readonly retention?: Duration.DurationInput
  /** How often old changes are deleted. Default 10 minutes. */
  readonly pruneEvery?: Duration.DurationInput
}

const batchSize = 500

type ChangeRow = {
  readonly sequence: string | number
  readonly agent_id: string
  readonly board_id: string | null
  readonly gateway_id: string
  readonly agent: unknown
}

const toChange = (row: ChangeRow): AgentChange => ({
  sequence: Number(row.sequence),
  agentId: row.agent_id as AgentChange["agentId"],
  boardId: row.board_id as AgentChange["boardId"],
  gatewayId: row.gateway_id as AgentChange["gatewayId"],
  agent: row.agent === null ? null : agentFromRow(row.agent as Record<string, unknown>)
})

/**
 * The process-wide change hub: one source of signals (a LISTEN connection, or PGlite's in-process listener) and one
 * reader of `mc_agent_changes`, fanned out to every subscriber. Idle subscribers cost the database nothing. After
 * every signal the hub reads all changes above the last one it delivered, so a lost connection or a missed
 * notification loses nothing: the next signal (sent on every reconnect) catches up.
 */
export const makeChangeHub = (signals: ChangeSignals, options: ChangeHubOptions = {}) =>
  Effect.gen(function*() {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const fanout = yield* makeChangeFanout
    const readCommitted = sql<{ readonly last: string | null }>`SELECT max(sequence) AS last FROM mc_agent_changes`.pipe(
      Effect.map((rows) => Number(rows[0]?.last ?? 0))
    )
    const committedSequence: Effect.Effect<number> = Effect.orDie(readCommitted)
    const delivered = yield* Ref.make(yield* readCommitted)
    const pending = yield* Queue.sliding<void>(1)

    const readAfter = (after: number, upTo: number | undefined) =>
      (upTo === undefined
        ? sql<ChangeRow>`
            SELECT sequence, agent_id, board_id, gateway_id, agent FROM mc_agent_changes
            WHERE sequence > ${after} ORDER BY sequence LIMIT ${batchSize}`
        : sql<ChangeRow>`
            SELECT sequence, agent_id, board_id, gateway_id, agent FROM mc_agent_changes
            WHERE sequence > ${after} AND sequence <= ${upTo} ORDER BY sequence LIMIT ${batchSize}`).pipe(
        Effect.map((rows) => rows.map(toChange))
      )

    // While nobody subscribes the hub reads nothing: a signal only marks it behind, with no fiber and no read, and the
    // first subscriber moves it to the committed end (under the same lock as reads, so no change is published twice or
    // skipped for a subscriber: what it asks for from before that end it gets from its replay). The counter is raised
    // before that catch-up, so every later signal wakes the reader.
    let subscribers = 0
    let behind = false
    const reading = yield* Effect.makeSemaphore(1)
    const catchUp = Effect.suspend(() => {
      if (!behind) return Effect.void
      return committedSequence.pipe(
        Effect.flatMap((committed) => Ref.update(delivered, (last) => Math.max(last, committed))),
        Effect.zipRight(Effect.sync(() => {
          behind = false
        }))
      )
    })

    const drain: Effect.Effect<void, unknown> = reading.withPermits(1)(Effect.gen(function*() {
      if (subscribers === 0) {
        behind = true
        return
      }
      yield* catchUp
      while (true) {
        const batch = yield* readAfter(yield* Ref.get(delivered), undefined)
        const last = batch.at(-1)
        if (last !== undefined) {
          fanout.publish(batch)
          yield* Ref.set(delivered, last.sequence)
        }
        if (batch.length < batchSize) return
      }
    }))

    // A failed read (database restarting) is retried; the hub itself never dies.
    yield* Queue.take(pending).pipe(
      Effect.zipRight(drain.pipe(Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo("30 seconds"))))),
      Effect.catchAllCause((cause) => Effect.logWarning("agent change feed read failed", cause)),
      Effect.forever,
      Effect.forkScoped
    )
    yield* signals(() => {
      if (subscribers === 0) behind = true
      else Queue.unsafeOffer(pending, undefined)
    })
    yield* Queue.offer(pending, undefined)

    const retention = Duration.decode(options.retention ?? "1 day")
    yield* sql`DELETE FROM mc_agent_changes WHERE changed_at < now() - ${`${Duration.toMillis(retention)} milliseconds`}::interval`
      .pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("pruning agent changes failed", cause)),
        Effect.repeat(Schedule.spaced(options.pruneEvery ?? "10 minutes")),
        Effect.forkScoped
      )

    const open = (after: number | undefined) =>
      Effect.gen(function*() {
        yield* Effect.acquireRelease(Effect.sync(() => subscribers++), () => Effect.sync(() => subscribers--))
        const { subscription, upTo } = yield* reading.withPermits(1)(Effect.gen(function*() {
          yield* catchUp
          return { subscription: yield* fanout.subscribe, upTo: yield* Ref.get(delivered) }
        }))
        // "From now" means after what the database has committed, which the hub may not have delivered yet.
        const from = after ?? (yield* committedSequence)
        // Changes up to `upTo` come from the table, in pages; later ones from the hub, as it publishes them.
        let replayCursor = from < upTo ? from : undefined
        const liveAfter = Math.max(from, upTo)
        const live: Effect.Effect<ReadonlyArray<AgentChange>> = subscription.take.pipe(
          Effect.flatMap((batch) => {
            const fresh = batch[0]!.sequence > liveAfter ? batch : batch.filter((change) => change.sequence > liveAfter)
            return fresh.length === 0 ? live : Effect.succeed(fresh)
          })
        )
        const take: Effect.Effect<ReadonlyArray<AgentChange>> = Effect.suspend(() => {
          if (replayCursor === undefined) return live
          return readAfter(replayCursor, upTo).pipe(
            Effect.orDie,
            Effect.flatMap((page) => {
              const last = page.at(-1)?.sequence
              replayCursor = last === undefined || page.length < batchSize ? undefined : last
              return page.length === 0 ? take : Effect.succeed(page)
            })
          )
        })
        return { take } satisfies AgentChangeFeed
      })

    return AgentChanges.of({ currentSequence: committedSequence, open })
  })

/**
 * Signals from a dedicated LISTEN connection, reconnected with backoff whenever it drops. Every (re)connect signals
 * once, so changes committed while it was down are read.
 */
export const listenSignals = (config: PgConnectionConfig): ChangeSignals => (signal) =>
  Effect.gen(function*() {
    const session = Effect.scoped(Effect.gen(function*() {
      const client = yield* Effect.acquireRelease(
        Effect.tryPromise(async () => {
          const client = new pg.Client(toNodePgConfig(config, "mission-control-listener"))
          client.on("error", () => {}) // reported through the async below
          await client.connect()
          await client.query(`LISTEN ${agentChangeChannel}`)
          return client
        }),
        (client) => Effect.promise(() => client.end().catch(() => undefined))
      )
      signal()
      yield* Effect.async<never, Error>((resume) => {
        client.on("notification", signal)
        client.on("error", (error) => resume(Effect.fail(error)))
        client.on("end", () => resume(Effect.fail(new Error("listen connection closed"))))
      })
    }))
    yield* session.pipe(
      Effect.tapError((error) => Effect.logDebug("agent change listener reconnecting", String(error))),
      Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")))),
      Effect.forkScoped
    )
  })

/**
 * Pokes from this process's own agent writes, for databases that cannot notify (embedded PGlite: one process, one
 * connection, so the hub's read runs after the writing transaction has committed).
 */
export class LocalChangeSignal extends Context.Tag("@mission-control/adapter-pg/LocalChangeSignal")<
  LocalChangeSignal,
  { readonly poke: Effect.Effect<void>; readonly signals: ChangeSignals }
>() {}

/** A `LocalChangeSignal` for one process. */
export const layerLocalSignal = Layer.sync(LocalChangeSignal, () => {
  const listeners = new Set<() => void>()
  return {
    poke: Effect.sync(() => listeners.forEach((listener) => listener())),
    signals: (signal) =>
      Effect.acquireRelease(
        Effect.sync(() => listeners.add(signal)),
        () => Effect.sync(() => listeners.delete(signal))
      ).pipe(Effect.asVoid)
  }
})

/** `AgentChanges` on LISTEN/NOTIFY, for the database of `config` (the same one the `SqlClient` talks to). */
export const layer = (config: PgConnectionConfig, options: ChangeHubOptions = {}) =>
  Layer.scoped(AgentChanges, makeChangeHub(listenSignals(config), options))
