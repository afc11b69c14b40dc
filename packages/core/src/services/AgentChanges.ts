import type { Scope } from "effect"
import { Chunk, Context, Effect, Stream } from "effect"
import type { AgentId, BoardId, GatewayId } from "../domain/ids.js"
import type { Agent } from "../domain/models.js"

/** One committed write of an agent row. `agent` is null when the row was deleted. */
export interface AgentChange {
  /** Strictly increasing across all changes of the store. */
  readonly sequence: number
  readonly agentId: AgentId
  readonly boardId: BoardId | null
  readonly gatewayId: GatewayId
  readonly agent: Agent | null
}

/**
 * An open subscription: `take` waits for the next changes (never an empty batch), in sequence order, each once.
 * A pull, rather than a stream, because a server holds one per open SSE client: it costs a queue, not a pipeline.
 */
export interface AgentChangeFeed {
  readonly take: Effect.Effect<ReadonlyArray<AgentChange>>
}

/** The feed of agent changes. Subscribers cost the store nothing while idle. */
export class AgentChanges extends Context.Tag("@mission-control/core/AgentChanges")<AgentChanges, {
  /** The sequence number of the newest change. */
  readonly currentSequence: Effect.Effect<number>
  /**
   * Changes with a sequence above `after` (replayed, then live), or only live ones when `after` is undefined.
   * The subscription is open once the returned effect completes, and lasts as long as the scope.
   */
  readonly open: (after: number | undefined) => Effect.Effect<AgentChangeFeed, never, Scope.Scope>
  /** `open`, as a stream. */
  readonly subscribe: (after: number | undefined) => Effect.Effect<Stream.Stream<AgentChange>, never, Scope.Scope>
}>() {}

/** A feed as a stream of its batches. */
export const feedToStream = (feed: AgentChangeFeed): Stream.Stream<AgentChange> =>
  Stream.repeatEffectChunk(Effect.map(feed.take, Chunk.unsafeFromArray))

/** `subscribe` for an implementation of `open`. */
export const subscribeWith = (open: (after: number | undefined) => Effect.Effect<AgentChangeFeed, never, Scope.Scope>) =>
(after: number | undefined): Effect.Effect<Stream.Stream<AgentChange>, never, Scope.Scope> => Effect.map(open(after), feedToStream)
