import type { Effect, Scope, Stream } from "effect"
import { Context } from "effect"
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

/** The feed of agent changes. Subscribers cost the store nothing while idle. */
export class AgentChanges extends Context.Tag("@mission-control/core/AgentChanges")<AgentChanges, {
  /** The sequence number of the newest change. */
  readonly currentSequence: Effect.Effect<number>
  /**
   * Changes with a sequence above `after` (replayed, then live), or only live ones when `after` is undefined.
   * The subscription is open once the returned effect completes, and lasts as long as the scope.
   */
  readonly subscribe: (after: number | undefined) => Effect.Effect<Stream.Stream<AgentChange>, never, Scope.Scope>
}>() {}
