import type { Effect } from "effect"
import { Context } from "effect"
import type { AgentId } from "../domain/ids.js"
import type { ActivityEvent } from "../domain/models.js"

/** The activity log. */
export class ActivityRepository extends Context.Service<ActivityRepository, {
  readonly record: (event: ActivityEvent) => Effect.Effect<void>
  /** Sets `agentId` to null on every event of the agent. */
  readonly detachAgent: (agentId: AgentId) => Effect.Effect<void>
  /** Events of an agent, oldest first. */
  readonly listByAgent: (agentId: AgentId) => Effect.Effect<ReadonlyArray<ActivityEvent>>
  /** The newest events, newest first. */
  readonly listRecent: (limit: number) => Effect.Effect<ReadonlyArray<ActivityEvent>>
}>()("@mission-control/core/ActivityRepository") {}
