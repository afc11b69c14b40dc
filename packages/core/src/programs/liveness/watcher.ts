// The liveness watcher: agents marked seen from their gateways' own events (health, agent and chat), so an agent that
// works but never calls the heartbeat is not shown offline. A background part a host adds as one layer.

import {
  Cause,
  Clock,
  DateTime,
  Duration,
  Effect,
  Exit,
  FiberMap,
  FiberSet,
  Layer,
  Option,
  Schedule,
  Stream
} from "effect"
import { gatewayAgentIdOf } from "../../domain/identity.js"
import type { AgentId, GatewayId, OrganizationId } from "../../domain/ids.js"
import { AgentRepository } from "../../services/AgentRepository.js"
import type { GatewayActivity, GatewayActivityKind } from "../../services/GatewayControlPlane.js"
import { gatewayActivityKinds, GatewayControlPlane } from "../../services/GatewayControlPlane.js"
import { GatewayRepository } from "../../services/GatewayRepository.js"
import { gatewayTarget } from "../access.js"
import { selectedGatewayIds } from "../reconcile/reconciler.js"
import { markAgentSeenFromGateway } from "./seen.js"

/** Options of the liveness watcher. */
export interface LivenessWatcherOptions {
  /** Only these gateways (with `organizationIds`: these and the organizations' gateways); neither: every gateway. */
  readonly gatewayIds?: ReadonlyArray<GatewayId> | undefined
  readonly organizationIds?: ReadonlyArray<OrganizationId> | undefined
  /** Which gateway events mark an agent seen. Default all three: `health`, `agent`, `chat`. None: the watcher idles. */
  readonly signals?: ReadonlyArray<GatewayActivityKind> | undefined
  /**
   * At most one write of an agent's `lastSeenAt` per this; activity within it is written when it ends. Default 15 s
   * (half the default check-in deadline, so activity just after a wakeup is written before its deadline).
   */
  readonly throttle?: Duration.Input | undefined
  /** How often gateways added, removed or given their first agents are looked for. Default 1 minute. */
  readonly rescanInterval?: Duration.Input | undefined
  /** The longest wait before subscribing again to a gateway that failed (the wait doubles from 1 s). Default 30 s. */
  readonly maxRetryDelay?: Duration.Input | undefined
}

interface WatcherConfig {
  readonly signals: ReadonlySet<GatewayActivityKind>
  readonly throttle: Duration.Duration
  readonly rescanInterval: Duration.Duration
  readonly maxRetryDelay: Duration.Duration
}

/** The activity of one agent not written yet, and the newest `lastSeenAt` known to be stored. */
interface AgentActivity {
  run: DateTime.Utc | null
  session: DateTime.Utc | null
  known: DateTime.Utc | null
  writing: boolean
}

const latest = (a: DateTime.Utc | null, b: DateTime.Utc | null): DateTime.Utc | null =>
  a === null ? b : b === null ? a : DateTime.max(a, b)

const configOf = (options: LivenessWatcherOptions): WatcherConfig => ({
  signals: new Set(options.signals ?? gatewayActivityKinds),
  throttle: Duration.fromInputUnsafe(options.throttle ?? "15 seconds"),
  rescanInterval: Duration.fromInputUnsafe(options.rescanInterval ?? "1 minute"),
  maxRetryDelay: Duration.fromInputUnsafe(options.maxRetryDelay ?? "30 seconds")
})

/** How one subscription to a gateway ended. */
type Subscription = "idle" | "ended" | "failed" | "removed"

/**
 * Watches one gateway for as long as it exists: subscribes to its events while it has a URL and agents, maps the
 * gateway's agent ids to our records, and marks them seen, throttled per agent. A subscription that ends (its
 * connection replaced) or fails (the gateway unreachable) is made again, after a wait that grows while it fails.
 */
const watchGateway = (gatewayId: GatewayId, config: WatcherConfig) =>
  Effect.gen(function*() {
    const agents = yield* AgentRepository
    const gateways = yield* GatewayRepository
    const controlPlane = yield* GatewayControlPlane
    const writers = yield* FiberSet.make()
    const activity = new Map<AgentId, AgentActivity>()
    let recordOf = new Map<string, AgentId>()
    let mappedAt = Number.NEGATIVE_INFINITY
    const throttleMillis = Duration.toMillis(config.throttle)

    const rescanMillis = Duration.toMillis(config.rescanInterval)

    const refreshRecords = Effect.gen(function*() {
      mappedAt = yield* Clock.currentTimeMillis
      const list = yield* agents.listByGateway(gatewayId)
      recordOf = new Map(list.map((agent) => [gatewayAgentIdOf(agent).toLowerCase(), agent.id]))
      return list.length
    })

    const forget = (agentId: AgentId) => {
      activity.delete(agentId)
      for (const [key, id] of recordOf) if (id === agentId) recordOf.delete(key)
    }

    // One writer per agent with activity: it writes at once, then waits the throttle before writing what came since
    // (a read that found nothing to write costs no wait).
    const writeSeen = (agentId: AgentId, state: AgentActivity) =>
      Effect.gen(function*() {
        while (true) {
          const evidence = { run: state.run, session: state.session }
          state.run = null
          state.session = null
          const outcome = yield* Effect.result(markAgentSeenFromGateway(agentId, evidence))
          if (outcome._tag === "Failure") {
            // Kept for the next write (the database may be back by then).
            state.run = latest(state.run, evidence.run)
            state.session = latest(state.session, evidence.session)
            yield* Effect.logWarning("marking an agent seen from its gateway failed", outcome.failure).pipe(
              Effect.annotateLogs({ gatewayId, agentId })
            )
            yield* Effect.sleep(config.throttle)
          } else if (outcome.success.result === "gone") {
            forget(agentId)
            return
          } else {
            state.known = latest(state.known, outcome.success.lastSeenAt)
            if (outcome.success.result === "seen") yield* Effect.sleep(config.throttle)
          }
          if (state.run === null && state.session === null) {
            state.writing = false
            return
          }
        }
      })

    const onActivity = (seen: GatewayActivity) =>
      Effect.gen(function*() {
        if (!config.signals.has(seen.kind)) return
        // The records are read again every rescan interval (agents moved or renamed), and for an id not known (one
        // created since, or another agent of the gateway, its default `main`) at most once a throttle period.
        const sinceMapped = (yield* Clock.currentTimeMillis) - mappedAt
        if (sinceMapped >= rescanMillis || (!recordOf.has(seen.agentId) && sinceMapped >= throttleMillis)) {
          yield* refreshRecords.pipe(
            Effect.catchCause((cause) => Effect.logDebug("reading a gateway's agents failed", cause))
          )
        }
        const agentId = recordOf.get(seen.agentId)
        if (agentId === undefined) return
        let state = activity.get(agentId)
        if (state === undefined) {
          state = { run: null, session: null, known: null, writing: false }
          activity.set(agentId, state)
        }
        if (state.known !== null && !DateTime.isGreaterThan(seen.at, state.known)) return
        if (seen.kind === "health") state.session = latest(state.session, seen.at)
        else state.run = latest(state.run, seen.at)
        if (state.writing) return
        state.writing = true
        yield* FiberSet.run(writers, writeSeen(agentId, state))
      })

    const subscribeOnce = Effect.gen(function*() {
      const found = yield* gateways.findById(gatewayId)
      if (Option.isNone(found)) return "removed" as const
      const target = yield* Effect.option(gatewayTarget(found.value))
      if (Option.isNone(target)) return "idle" as const
      if ((yield* refreshRecords) === 0) return "idle" as const
      const client = yield* controlPlane.client(target.value)
      const exit = yield* Effect.exit(Stream.runForEach(client.events, onActivity))
      if (Exit.isSuccess(exit)) return "ended" as const
      return yield* Effect.failCause(exit.cause)
    })

    let failures = 0
    while (true) {
      const ended: Subscription = yield* subscribeOnce.pipe(
        Effect.catchCause((cause) =>
          (failures === 0
            ? Effect.logWarning("watching a gateway's events failed; subscribing again", Cause.squash(cause))
            : Effect.logDebug("watching a gateway's events failed again", Cause.squash(cause))).pipe(
              Effect.annotateLogs({ gatewayId }),
              Effect.as<Subscription>("failed")
            )
        )
      )
      if (ended === "removed") return
      failures = ended === "failed" ? failures + 1 : 0
      const wait = ended === "idle"
        ? config.rescanInterval
        : ended === "ended"
        ? Duration.seconds(1)
        : Duration.min(config.maxRetryDelay, Duration.seconds(2 ** Math.min(failures - 1, 16)))
      yield* Effect.sleep(wait)
    }
  }).pipe(Effect.scoped)

/**
 * The liveness watcher, as one layer a host adds: for each selected gateway with agents, a subscription to its events
 * that marks the agents it shows active seen (`markAgentSeenFromGateway`; which signals count: `signals`), at most
 * one write per agent per `throttle`. Gateways are looked for at start and every `rescanInterval` (one added later is
 * watched from then on, one deleted no more); subscriptions are made again after reconnects and failures. Everything
 * stops when the layer's scope closes.
 */
export const LivenessWatcher = {
  layer: (options: LivenessWatcherOptions = {}) =>
    Layer.effectDiscard(Effect.gen(function*() {
      const config = configOf(options)
      if (config.signals.size === 0) return
      const watched = yield* FiberMap.make<GatewayId>()
      const rescan = Effect.gen(function*() {
        const ids = new Set(yield* selectedGatewayIds(options))
        for (const id of [...watched].map(([key]) => key)) {
          if (!ids.has(id)) yield* FiberMap.remove(watched, id)
        }
        for (const id of ids) yield* FiberMap.run(watched, id, watchGateway(id, config), { onlyIfMissing: true })
      })
      yield* rescan.pipe(
        Effect.catchCause((cause) => Effect.logWarning("looking for gateways to watch failed", cause)),
        Effect.repeat(Schedule.spaced(config.rescanInterval)),
        Effect.forkScoped
      )
    }))
}
