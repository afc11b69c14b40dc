import type { Effect } from "effect"
import { Context } from "effect"
import type { AgentId } from "../domain/ids.js"
import type { ActivityEvent } from "../domain/models.js"
import type { DatabaseUnavailable } from "../errors.js"

/** The activity log. */
export class ActivityRepository extends Context.Service<ActivityRepository, {
  readonly record: (event: ActivityEvent) => Effect.Effect<void, DatabaseUnavailable>
  /** Sets `agentId` to null on every event of the agent. */
  readonly detachAgent: (agentId: AgentId) => Effect.Effect<void, DatabaseUnavailable>
  /** Events of an agent, oldest first. */
  readonly listByAgent: (agentId: AgentId) => Effect.Effect<ReadonlyArray<ActivityEvent>, DatabaseUnavailable>
  /** The newest events, newest first. */
  readonly listRecent: (limit: number) => Effect.Effect<ReadonlyArray<ActivityEvent>, DatabaseUnavailable>
}>()("@mission-control/core/ActivityRepository") {}
