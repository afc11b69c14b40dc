// The agents, kept live: the change stream (GET /api/v1/agents/stream) read with fetch and the bearer header (the
// typed client's FetchHttpClient), since an EventSource cannot send one; a listing on every (re)connect and once a
// minute.
import { Clock, Duration, Effect, Stream } from "effect"
import type { Client } from "./api.js"
import { describeFailure, isSignedOut, listAgents } from "./api.js"
import type { AgentChange, FleetState } from "./fleetState.js"
import { newestUpdate } from "./fleetState.js"

/** What the page does with what the stream tells. */
export interface LiveHandlers {
  /** The stream's answer arrived: it is open. */
  readonly onConnected: () => void
  /** The stream broke; the next attempt is in `retryIn`. */
  readonly onDisconnected: (reason: string, retryIn: Duration.Duration) => void
  /** The server no longer knows the token: the page signs out, and following stops. */
  readonly onSignedOut: (reason: string) => void
  /** Agents shown anew or changed, already applied to the fleet. */
  readonly onChanges: (changes: ReadonlyArray<AgentChange>) => void
}

/** The wait before the `attempt`-th reconnect in a row: 0.5 s doubling, at most 10 s. */
const reconnectDelay = (attempt: number): Duration.Duration => Duration.millis(Math.min(10_000, 500 * 2 ** attempt))

/** A stream that stayed open this long counts as healthy: its end starts the delays afresh. */
const healthyAfterMillis = 30_000

/**
 * Follows the organization's agents until interrupted (or signed out): lists them, then opens the stream from the
 * newest change listed (`since`), so a change made between the two is replayed rather than missed, and applies each
 * event. A broken stream is reopened after the last event seen (`Last-Event-ID`). The server computes each agent's
 * status, and it changes without an event when an agent goes silent: hence a listing once a minute too.
 */
export const followAgents = (client: Client, fleet: FleetState, handlers: LiveHandlers): Effect.Effect<void> =>
  Effect.gen(function*() {
    let lastEventId: string | undefined
    let failuresInARow = 0
    let connectedAt: number | undefined
    /** Lists and applies the agents; answers the newest change listed. */
    const relist = Effect.suspend(() => {
      const requestedAt = fleet.beginListing()
      return Effect.map(listAgents(client), (agents) => {
        handlers.onChanges(fleet.applyListing(agents, requestedAt))
        return newestUpdate(agents)
      })
    })
    const session = Effect.gen(function*() {
      const since = yield* relist
      const events = yield* client.agents.stream({
        query: lastEventId === undefined && since !== undefined ? { since } : {},
        headers: lastEventId === undefined ? {} : { "last-event-id": lastEventId }
      })
      connectedAt = yield* Clock.currentTimeMillis
      handlers.onConnected()
      const apply = Stream.runForEach(events, (event) =>
        Effect.sync(() => {
          lastEventId = event.id
          const change = fleet.applyStreamed(event.data.agent)
          if (change !== undefined) handlers.onChanges([change])
        }))
      yield* Effect.raceFirst(apply, Effect.forever(Effect.delay(relist, "1 minute")))
    })
    for (;;) {
      const outcome = yield* Effect.result(session)
      const reason = outcome._tag === "Failure" ? describeFailure(outcome.failure) : "The server closed the stream."
      if (outcome._tag === "Failure" && isSignedOut(outcome.failure)) return handlers.onSignedOut(reason)
      const now = yield* Clock.currentTimeMillis
      if (connectedAt !== undefined && now - connectedAt > healthyAfterMillis) failuresInARow = 0
      connectedAt = undefined
      const retryIn = reconnectDelay(failuresInARow++)
      handlers.onDisconnected(reason, retryIn)
      yield* Effect.sleep(retryIn)
    }
  })
