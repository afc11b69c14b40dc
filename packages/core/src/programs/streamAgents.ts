import { DateTime, Effect, Option, Stream } from "effect"
import type { BoardId } from "../domain/ids.js"
import type { Agent, User } from "../domain/models.js"
import { Forbidden, reason } from "../errors.js"
import { annotate, AttributeKey } from "../observability/attributes.js"
import { trackSubscriber } from "../observability/metrics.js"
import type { AgentChange, AgentChangeFeed } from "../services/AgentChanges.js"
import { AgentChanges, feedToStream } from "../services/AgentChanges.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { listAccessibleBoardIds, requireOrgAdmin } from "./access.js"

/** Where a stream of agent events starts. */
export interface StreamAgentsQuery {
  readonly boardId?: BoardId | undefined
  /** Emit agents changed at or after this instant first (the reference's `since`). */
  readonly since?: DateTime.Utc | undefined
  /** Resume after this change sequence (an SSE client's `Last-Event-ID`); wins over `since`. */
  readonly afterSequence?: number | undefined
}

/**
 * One event of the agent stream: the agent as changed, the change sequence to resume from, and the instant its
 * status is computed for (`computedStatus(agent, at)`, `toAgentRead(agent, at)`). Every watch shown a change gets
 * the same `agent` object, so an edge can render it once for all of them.
 */
export interface AgentEvent {
  readonly sequence: number
  readonly agent: Agent
  readonly at: DateTime.Utc
}

/** Parses the reference's `since`: ISO-8601, `Z` accepted, naive means UTC; invalid or blank → undefined. */
export const parseSince = (text: string | null | undefined): DateTime.Utc | undefined => {
  if (text === null || text === undefined || text.trim() === "") return undefined
  const normalized = text.trim().replace(/Z/g, "+00:00")
  const hasZone = /([+-]\d{2}:?\d{2})$/.test(normalized)
  return Option.getOrUndefined(DateTime.make(hasZone ? normalized : `${normalized}Z`))
}

/** An open watch of agent events: `take` waits for the next ones (never an empty batch). */
export interface AgentWatch {
  readonly take: Effect.Effect<ReadonlyArray<AgentEvent>>
}

/**
 * The agent changes an org admin may watch: board agents of boards readable now (gateway-main agents are never
 * shown). Access is checked here, before anything is sent; the returned effect opens the watch for as long as its
 * scope lasts. Pushed from `AgentChanges`, never polled; each change is emitted once, with its sequence.
 */
export const prepareAgentWatch = Effect.fn("prepareAgentWatch")(function*(user: User | null, query: StreamAgentsQuery) {
  if (query.boardId !== undefined) yield* annotate({ [AttributeKey.boardId]: query.boardId })
  const context = yield* requireOrgAdmin(user)
  const readable = yield* listAccessibleBoardIds(context.member, false)
  if (query.boardId !== undefined && !readable.includes(query.boardId)) {
    return yield* new Forbidden({ detail: reason.forbidden })
  }
  const boardIds = new Set<BoardId>(query.boardId === undefined ? readable : [query.boardId])
  const changes = yield* AgentChanges
  const agents = yield* AgentRepository

  const toEvents = (batch: ReadonlyArray<AgentChange>) =>
    DateTime.now.pipe(Effect.map((at) => {
      const events: Array<AgentEvent> = []
      for (const change of batch) {
        if (change.agent !== null && change.boardId !== null && boardIds.has(change.boardId)) {
          events.push({ sequence: change.sequence, agent: change.agent, at })
        }
      }
      return events
    }))

  return Effect.gen(function*() {
    let initial: ReadonlyArray<AgentChange> = []
    let feed: AgentChangeFeed
    if (query.afterSequence !== undefined) {
      feed = yield* changes.open(query.afterSequence)
    } else {
      const current = yield* changes.currentSequence
      feed = yield* changes.open(current)
      if (query.since !== undefined && boardIds.size > 0) {
        initial = (yield* agents.listChangedSince([...boardIds], query.since)).map((agent) => ({
          sequence: current,
          agentId: agent.id,
          boardId: agent.boardId,
          gatewayId: agent.gatewayId,
          agent
        }))
      }
    }
    yield* trackSubscriber
    // A batch with nothing this watch may show is skipped: the next one is awaited instead.
    const orNext = (events: ReadonlyArray<AgentEvent>) => events.length === 0 ? next : Effect.succeed(events)
    const next: Effect.Effect<ReadonlyArray<AgentEvent>> = feed.take.pipe(
      Effect.flatMap(toEvents),
      Effect.flatMap(orNext)
    )
    const take = Effect.suspend(() => {
      if (initial.length === 0) return next
      const batch = initial
      initial = []
      return toEvents(batch).pipe(Effect.flatMap(orNext))
    })
    return { take } satisfies AgentWatch
  })
})

/** `prepareAgentWatch` as a stream: access checked now, the watch open while the stream runs. */
export const streamAgents = Effect.fn("streamAgents")(function*(user: User | null, query: StreamAgentsQuery) {
  const open = yield* prepareAgentWatch(user, query)
  return Stream.unwrap(Effect.map(open, feedToStream))
})
