import type { Scope } from "effect"
import { Context, Effect, Stream } from "effect"
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
export class AgentChanges extends Context.Service<AgentChanges, {
  /** The sequence number of the newest change. */
  readonly currentSequence: Effect.Effect<number>
  /**
   * Changes with a sequence above `after` (replayed, then live), or only live ones when `after` is undefined.
   * The subscription is open once the returned effect completes, and lasts as long as the scope.
   */
  readonly open: (after: number | undefined) => Effect.Effect<AgentChangeFeed, never, Scope.Scope>
}>()("@mission-control/core/AgentChanges") {}

/** A pull of batches (a change feed, an agent watch) as a stream of their items. */
export const feedToStream = <A>(feed: { readonly take: Effect.Effect<ReadonlyArray<A>> }): Stream.Stream<A> =>
  Stream.fromEffectRepeat(feed.take).pipe(Stream.flattenIterable)

/** `AgentChanges.open`, as a stream: the subscription is open once the effect completes, for as long as the scope. */
export const subscribeAgentChanges = (
  after: number | undefined
): Effect.Effect<Stream.Stream<AgentChange>, never, AgentChanges | Scope.Scope> =>
  Effect.flatMap(AgentChanges, (changes) => Effect.map(changes.open(after), feedToStream))
