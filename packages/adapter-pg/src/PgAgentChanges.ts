import { PgConnection } from "@effect/sql-pg"
import type { AgentChange, AgentChangeFeed } from "@mission-control/core"
import { AgentChanges, AgentId, BoardId, GatewayId, makeChangeFanout } from "@mission-control/core"
import { Clock, Context, Duration, Effect, Layer, Queue, Schedule, Schema, Semaphore } from "effect"
import { SqlSchema } from "effect/sql"
import type { SqlError } from "effect/sql"
import type { PgConnectionConfig } from "./config.js"
import { toConnectionConfig } from "./config.js"
import type { ChangeSignals } from "./internal/signals.js"
import { BigIntAsNumber, sqlClient } from "./internal/sql.js"
import { agentChangeChannel } from "./migrations.js"
import { AgentFromRow } from "./PgAgentRepository.js"

export { layerLocalSignal, LocalChangeSignal } from "./internal/signals.js"
export type { ChangeSignals } from "./internal/signals.js"

/** Tunables of the change hub. */
export interface ChangeHubOptions {
  /** Changes older than this are deleted; a subscriber resuming from further back misses them. Default 1 day. */
  readonly retention?: Duration.Input
  /** How often old changes are deleted. Default 10 minutes. */
  readonly pruneEvery?: Duration.Input
  /**
   * How long asking for "now" waits for the transactions running at that moment before answering the newest settled
   * change; the rest is delivered once they end. Default 5 seconds.
   */
  readonly settleTimeout?: Duration.Input
}

const batchSize = 500
const firstPoll = 5
const lastPoll = 200

/** A row of `mc_agent_changes` as an `AgentChange`; `agent` is the row as written, null for a deletion. */
const ChangeFromRow = Schema.Struct({
  sequence: BigIntAsNumber,
  agentId: AgentId,
  boardId: Schema.NullOr(BoardId),
  gatewayId: GatewayId,
  agent: Schema.NullOr(AgentFromRow)
}).pipe(Schema.encodeKeys({ agentId: "agent_id", boardId: "board_id", gatewayId: "gateway_id" }))

/** What one snapshot shows: the newest visible change, and the transaction horizon. */
const Horizon = Schema.Struct({
  last: Schema.NullOr(BigIntAsNumber),
  xmin: Schema.BigIntFromString,
  next: Schema.BigIntFromString
})

// Ordering. Changes are numbered by a sequence the trigger draws inside the writing transaction, and handed out in
// that order: a write made after another's commit (to the same row, or having read it) draws a higher number, so
// sequence order respects every dependency between writes, and every process hands out the same order. There is no
// lock, so numbers do not follow commits: a long transaction may draw 10, another draw 11 and commit first. A reader
// that handed out 11 and moved its cursor past it would never hand out 10. The hub therefore hands out a settled
// prefix only: changes up to a number below which no transaction that could still commit has drawn. Without a gap
// every visible number is settled at once (`settleContiguous`); a gap waits for the horizon below.
//
// Settling uses transaction ids. One statement reads `last`, the newest visible change, and `next`, the next
// transaction id to be assigned (`pg_snapshot_xmax` will not do: it is the newest completed id plus one, and a running
// transaction younger than that is neither below it nor in the snapshot's list). A number below `last` was drawn
// before `last`'s transaction committed, by a transaction that had its id by then (the row it writes assigns the id
// before the trigger runs): an id below `next`. Once a snapshot's `pg_snapshot_xmin` (its oldest running transaction)
// reaches `next`, those have all ended, so every change up to `last` that will ever exist is visible: the prefix up to
// `last` is settled, for every process. Each change handed out thus also has `xact_id` (recorded since 0002) below
// the `pg_snapshot_xmin` of the read that settled it; that rule alone, checked row by row, would hand out 11 and pass
// 10 by whenever 11's transaction is the older one. The price is the horizon's: a change waits while any transaction
// of the cluster that had written before it was read is still open (a long-open transaction holds back the feed,
// never a write), and the hub, asked for "now", waits for the transactions running at that moment.

/**
 * The process-wide change hub: one source of signals (a LISTEN connection, or PGlite's in-process listener) and one
 * reader of `mc_agent_changes`, fanned out to every subscriber. Idle subscribers cost the database nothing. After
 * every signal the hub reads the settled changes above the last one it delivered, so a lost connection or a missed
 * notification loses nothing: the next signal (sent on every reconnect) catches up. While changes wait for running
 * transactions it looks again shortly, whether or not a signal comes.
 */
export const makeChangeHub = (signals: ChangeSignals, options: ChangeHubOptions = {}) =>
  Effect.gen(function*() {
    const sql = yield* sqlClient
    const settleTimeout = options.settleTimeout ?? Duration.seconds(5)
    const fanout = yield* makeChangeFanout
    // The hub's statements never run in a caller's transaction: they would see its uncommitted changes.
    const outsideTransaction = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.updateContext(effect, (context: Context.Context<never>) => Context.omit(sql.transactionService)(context))
    // Waiting for other sessions' transactions takes wall-clock time, whatever clock the layer was built with (a
    // test's `TestClock` would never move these waits on).
    const liveClock = Clock.Clock.defaultValue()
    const onLiveClock = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.provideService(effect, Clock.Clock, liveClock)

    const readHorizon = SqlSchema.findOne({
      Request: Schema.Void,
      Result: Horizon,
      execute: () =>
        sql`
          SELECT (SELECT max(sequence) FROM mc_agent_changes) AS last,
            pg_snapshot_xmin(s)::text AS xmin,
            (pg_snapshot_xmax(s)::text::bigint + age(pg_snapshot_xmax(s)::xid))::text AS next
          FROM pg_current_snapshot() AS s`
    })
    const readChanges = SqlSchema.findAll({
      Request: Schema.Struct({ after: Schema.Number, upTo: Schema.Number }),
      Result: ChangeFromRow,
      execute: ({ after, upTo }) =>
        sql`
          SELECT sequence, agent_id, board_id, gateway_id, agent FROM mc_agent_changes
          WHERE sequence > ${after} AND sequence <= ${upTo} ORDER BY sequence LIMIT ${batchSize}`
    })
    const readSequences = SqlSchema.findAll({
      Request: Schema.Struct({ after: Schema.Number, upTo: Schema.Number }),
      Result: Schema.Struct({ sequence: BigIntAsNumber }),
      execute: ({ after, upTo }) =>
        sql`
          SELECT sequence FROM mc_agent_changes
          WHERE sequence > ${after} AND sequence <= ${upTo} ORDER BY sequence LIMIT ${batchSize}`
    })
    // A row that does not decode is a defect (the schema is ours); a failed statement stays an `SqlError`.
    const readBetween = (after: number, upTo: number) =>
      outsideTransaction(readChanges({ after, upTo })).pipe(
        Effect.catchTag("SchemaError", (error) => Effect.die(error))
      )

    // Every change up to `settled` that will ever be committed is visible; `pending` are observations not settled
    // yet, oldest first. A settled point holds for every process and every fiber, so any read may advance it.
    let settled = 0
    let pending: Array<{ readonly last: number; readonly next: bigint }> = []
    const observe = outsideTransaction(readHorizon(undefined)).pipe(
      Effect.catchTags({ SchemaError: (error) => Effect.die(error), NoSuchElementError: (error) => Effect.die(error) }),
      Effect.map((horizon) => {
        const last = horizon.last ?? 0
        if (last > settled) {
          // Bounded: under a long-open transaction the newest observation stands in for the one it replaces.
          if (pending.length >= 32) pending.pop()
          pending.push({ last, next: horizon.next })
        }
        for (const observation of pending) {
          if (observation.next <= horizon.xmin) settled = Math.max(settled, observation.last)
        }
        pending = pending.filter((observation) => observation.last > settled)
        return last
      })
    )
    // The common case needs no horizon: when every number from the settled point up to `last` is visible, none of
    // them can still appear (each number is drawn once), so they are settled at once. Only a gap (a number drawn by a
    // transaction still running, or one rolled back) waits for the horizon above.
    const settleContiguous = (last: number): Effect.Effect<void, SqlError.SqlError> =>
      Effect.gen(function*() {
        while (settled < last) {
          const rows = yield* outsideTransaction(readSequences({ after: settled, upTo: last })).pipe(
            Effect.catchTag("SchemaError", (error) => Effect.die(error))
          )
          const before = settled
          for (const { sequence } of rows) {
            if (sequence !== settled + 1) break
            settled = sequence
          }
          // Stop at a gap, or once everything up to `last` has been read.
          if (settled === before || rows.length < batchSize || settled !== rows.at(-1)?.sequence) return
        }
      })
    const pollSettled = (target: number) =>
      observe.pipe(
        Effect.repeat({
          schedule: Schedule.min([
            Schedule.exponential(Duration.millis(firstPoll)),
            Schedule.spaced(Duration.millis(lastPoll))
          ]),
          until: () => settled >= target
        }),
        Effect.timeoutOption(settleTimeout),
        onLiveClock
      )

    /**
     * The newest committed change once it is settled: "from now" for a subscriber. Waits for the transactions running
     * at the call to end, at most `settleTimeout`; then answers the newest settled change (a subscriber starting there
     * also gets some changes committed just before it asked, never fewer).
     */
    const settledNow = Effect.gen(function*() {
      const target = yield* observe
      yield* settleContiguous(target)
      if (settled < target) yield* pollSettled(target)
      return settled >= target ? target : settled
    })

    settled = yield* settledNow
    let delivered = settled
    const wake = yield* Queue.sliding<void>(1)

    // While nobody subscribes the hub reads nothing: a signal only marks it behind, with no fiber and no read, and the
    // first subscriber moves it to the settled end (under the same lock as reads, so no change is published twice or
    // skipped for a subscriber: what it asks for from before that end it gets from its replay). The counter is raised
    // before that catch-up, so every later signal wakes the reader. It starts behind: should the settling above have
    // timed out, the first subscriber settles again.
    let subscribers = 0
    let behind = true
    const reading = yield* Semaphore.make(1)
    const catchUp = Effect.suspend(() => {
      if (!behind) return Effect.void
      return settledNow.pipe(Effect.map((end) => {
        delivered = Math.max(delivered, end)
        behind = false
      }))
    })

    // One read: observe the horizon, publish the settled changes not yet delivered. True while some wait.
    const drain = reading.withPermits(1)(Effect.gen(function*() {
      if (subscribers === 0) {
        behind = true
        return false
      }
      yield* catchUp
      const last = yield* observe
      yield* settleContiguous(last)
      while (delivered < settled) {
        const upTo = settled
        const batch = yield* readBetween(delivered, upTo)
        const last = batch.at(-1)
        if (last !== undefined) fanout.publish(batch)
        delivered = batch.length < batchSize || last === undefined ? upTo : last.sequence
      }
      return settled < last
    }))

    // A failed read (database restarting) is retried; the hub itself never dies. While changes wait for running
    // transactions the reader looks again after a short and growing delay, or at the next signal.
    const step = drain.pipe(
      Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo({ duration: "30 seconds" }))),
      Effect.catchCause((cause) => Effect.as(Effect.logWarning("agent change feed read failed", cause), false))
    )
    yield* Effect.gen(function*() {
      let delay = firstPoll
      while (true) {
        const waiting = yield* step
        if (waiting) {
          yield* Effect.timeoutOption(Queue.take(wake), Duration.millis(delay))
          delay = Math.min(delay * 2, lastPoll)
        } else {
          delay = firstPoll
          yield* Queue.take(wake)
        }
      }
    }).pipe(onLiveClock, Effect.forkScoped)
    yield* signals(() => {
      if (subscribers === 0) behind = true
      else Queue.offerUnsafe(wake, undefined)
    })

    const retention = `${Duration.toMillis(Duration.fromInputUnsafe(options.retention ?? "1 day"))} milliseconds`
    yield* sql`DELETE FROM mc_agent_changes WHERE changed_at < now() - ${retention}::interval`.pipe(
      Effect.catchCause((cause) => Effect.logWarning("pruning agent changes failed", cause)),
      Effect.repeat(Schedule.spaced(options.pruneEvery ?? "10 minutes")),
      Effect.forkScoped
    )

    const open = (after: number | undefined) =>
      Effect.gen(function*() {
        yield* Effect.acquireRelease(Effect.sync(() => subscribers++), () => Effect.sync(() => subscribers--))
        const { subscription, upTo } = yield* reading.withPermits(1)(Effect.gen(function*() {
          yield* catchUp
          const subscription = yield* fanout.subscribe
          // Changes the catch-up could not settle in time are the reader's to deliver; while nobody subscribed it was
          // not looking, and a transaction that rolls back sends no signal to wake it.
          if (pending.length > 0) Queue.offerUnsafe(wake, undefined)
          return { subscription, upTo: delivered }
        }))
        // "From now" means after what the database has committed, which the hub may not have delivered yet.
        let from = after
        if (from === undefined) from = yield* settledNow
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
          return readBetween(replayCursor, upTo).pipe(
            Effect.orDie,
            Effect.flatMap((page) => {
              const last = page.at(-1)?.sequence
              replayCursor = last === undefined || page.length < batchSize ? undefined : last
              return page.length === 0 ? take : Effect.succeed(page)
            })
          )
        })
        return { take } satisfies AgentChangeFeed
      }).pipe(Effect.orDie)

    return AgentChanges.of({ currentSequence: Effect.orDie(settledNow), open })
  })

/**
 * Signals from a dedicated LISTEN session on `channel` (its own connection, beside the query pool), opened again with
 * backoff whenever it drops. Every (re)connect signals once, so what was sent while it was down is looked at.
 */
export const listenChannel =
  (config: PgConnectionConfig, channel: string, applicationName: string): ChangeSignals => (signal) =>
    Effect.gen(function*() {
      const session = Effect.scoped(Effect.gen(function*() {
        const connection = yield* PgConnection.make(toConnectionConfig(config, applicationName))
        const notifications = yield* connection.listen(channel)
        signal()
        // Fails with the connection's `SqlError` when the session drops.
        return yield* Queue.takeAll(notifications).pipe(Effect.andThen(Effect.sync(() => signal())), Effect.forever)
      }))
      yield* session.pipe(
        Effect.tapError((error) => Effect.logDebug(`listener on ${channel} reconnecting`, String(error))),
        Effect.retry(Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("5 seconds")])),
        Effect.forkScoped
      )
    })

/** Signals of the agent change channel (see `listenChannel`). */
export const listenSignals = (config: PgConnectionConfig): ChangeSignals =>
  listenChannel(config, agentChangeChannel, "mission-control-listener")

/** `AgentChanges` on LISTEN/NOTIFY, for the database of `config` (the same one the `SqlClient` talks to). */
export const layer = (config: PgConnectionConfig, options: ChangeHubOptions = {}) =>
  Layer.effect(AgentChanges, makeChangeHub(listenSignals(config), options))
