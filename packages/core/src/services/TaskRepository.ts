import type { DateTime, Effect, Option } from "effect"
import { Context } from "effect"
import type { AgentId, BoardId, TaskId } from "../domain/ids.js"
import type { Task } from "../domain/models.js"
import type { DatabaseUnavailable } from "../errors.js"

/** The task writes agent and board deletion need. */
export class TaskRepository extends Context.Service<TaskRepository, {
  /** Unassigns the agent's tasks; in-progress ones go back to `inbox`. Returns how many changed. */
  readonly releaseAgentTasks: (agentId: AgentId, now: DateTime.Utc) => Effect.Effect<number, DatabaseUnavailable>
  /** Deletes the board's tasks and the activity entries about them. Returns how many tasks went. */
  readonly deleteByBoard: (boardId: BoardId) => Effect.Effect<number, DatabaseUnavailable>
  readonly findById: (id: TaskId) => Effect.Effect<Option.Option<Task>, DatabaseUnavailable>
  readonly insert: (task: Task) => Effect.Effect<void, DatabaseUnavailable>
}>()("@mission-control/core/TaskRepository") {}
