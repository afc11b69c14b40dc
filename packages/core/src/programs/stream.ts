import { Chunk, DateTime, Effect, Option, Stream } from "effect"
import type { BoardId } from "../domain/ids.js"
import type { User } from "../domain/models.js"
import type { AgentRead } from "../domain/wire.js"
import { toAgentRead } from "../domain/wire.js"
import { Forbidden, reason } from "../errors.js"
import { AgentChanges } from "../services/AgentChanges.js"
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

/** One event of the agent stream: the agent as the API shows it, and the change sequence to resume from. */
export interface AgentEvent {
  readonly sequence: number
  readonly agent: AgentRead
}

/** Parses the reference's `since`: ISO-8601, `Z` accepted, naive means UTC; invalid or blank → undefined. */
export const parseSince = (text: string | null | undefined): DateTime.Utc | undefined => {
  if (text === null || text === undefined || text.trim() === "") return undefined
  const normalized = text.trim().replace(/Z/g, "+00:00")
  const hasZone = /([+-]\d{2}:?\d{2})$/.test(normalized)
  return Option.getOrUndefined(DateTime.make(hasZone ? normalized : `${normalized}Z`))
}

/**
 * The agent change stream of an org admin: board agents of boards readable at connect time (gateway-main agents are
 * never streamed). Pushed from `AgentChanges`, never polled; each change is emitted once, with its sequence.
 */
export const streamAgents = Effect.fn("streamAgents")(function*(user: User | null, query: StreamAgentsQuery) {
  const context = yield* requireOrgAdmin(user)
  const readable = yield* listAccessibleBoardIds(context.member, false)
  if (query.boardId !== undefined && !readable.includes(query.boardId)) {
    return yield* new Forbidden({ detail: reason.forbidden })
  }
  const boardIds = new Set<BoardId>(query.boardId === undefined ? readable : [query.boardId])
  const changes = yield* AgentChanges
  const agents = yield* AgentRepository

  const stream = Stream.unwrapScoped(Effect.gen(function*() {
    if (query.afterSequence !== undefined) return yield* changes.subscribe(query.afterSequence)
    const current = yield* changes.currentSequence
    const live = yield* changes.subscribe(current)
    if (query.since === undefined || boardIds.size === 0) return live
    const initial = yield* agents.listChangedSince([...boardIds], query.since)
    const replay = Stream.fromIterable(initial.map((agent) => ({
      sequence: current,
      agentId: agent.id,
      boardId: agent.boardId,
      gatewayId: agent.gatewayId,
      agent
    })))
    return Stream.concat(replay, live)
  }))

  // One stage per chunk, not per change: a change is fanned out to every open stream, so this runs that many times.
  return stream.pipe(
    Stream.mapChunksEffect((chunk) =>
      DateTime.now.pipe(Effect.map((at) =>
        Chunk.filterMap(chunk, (change): Option.Option<AgentEvent> =>
          change.agent !== null && change.boardId !== null && boardIds.has(change.boardId)
            ? Option.some({ sequence: change.sequence, agent: toAgentRead(change.agent, at) })
            : Option.none())
      ))
    )
  )
})
