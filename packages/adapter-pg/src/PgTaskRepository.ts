import { AgentId, Task, TaskId, TaskRepository } from "@mission-control/core"
import type { BoardId } from "@mission-control/core"
import { Effect, Layer, Schema } from "effect"
import { SqlSchema } from "effect/sql"
import { databaseFailures, NullableTimestamp, sqlClient, Timestamp } from "./internal/sql.js"

/** A row of `mc_tasks` as a `Task`, and back. */
export const TaskFromRow = Schema.Struct({
  id: Schema.String,
  boardId: Schema.NullOr(Schema.String),
  status: Schema.String,
  inProgressAt: NullableTimestamp,
  assignedAgentId: Schema.NullOr(Schema.String),
  updatedAt: Timestamp
}).pipe(
  Schema.encodeKeys({
    boardId: "board_id",
    inProgressAt: "in_progress_at",
    assignedAgentId: "assigned_agent_id",
    updatedAt: "updated_at"
  }),
  Schema.decodeTo(Task)
)

/** `TaskRepository` on the `SqlClient` in context. */
export const layer = Layer.effect(
  TaskRepository,
  Effect.gen(function*() {
    const sql = yield* sqlClient
    const releaseAgentTasks = SqlSchema.findAll({
      Request: Schema.Struct({ agentId: AgentId, at: Timestamp }),
      Result: Schema.Struct({ id: Schema.String }),
      execute: ({ agentId, at }) =>
        sql`
          UPDATE mc_tasks SET
            assigned_agent_id = NULL,
            updated_at = ${at},
            status = CASE WHEN status = 'in_progress' THEN 'inbox' ELSE status END,
            in_progress_at = CASE WHEN status = 'in_progress' THEN NULL ELSE in_progress_at END
          WHERE assigned_agent_id = ${agentId}
          RETURNING id`
    })
    const findById = SqlSchema.findOneOption({
      Request: TaskId,
      Result: TaskFromRow,
      execute: (id) => sql`SELECT * FROM mc_tasks WHERE id = ${id}`
    })
    const insert = SqlSchema.void({
      Request: TaskFromRow,
      execute: (row) => sql`INSERT INTO mc_tasks ${sql.insert(row)}`
    })
    // The activity entries about the tasks go first: they reference the tasks.
    const deleteByBoard = (boardId: BoardId) =>
      sql`
        WITH gone AS (SELECT id FROM mc_tasks WHERE board_id = ${boardId})
        DELETE FROM mc_activity_events WHERE task_id IN (SELECT id FROM gone)`.pipe(
        Effect.andThen(sql<{ readonly id: string }>`DELETE FROM mc_tasks WHERE board_id = ${boardId} RETURNING id`),
        Effect.map((rows) => rows.length),
        sql.withTransaction
      )
    return TaskRepository.of({
      deleteByBoard: (boardId) => databaseFailures(deleteByBoard(boardId)),
      releaseAgentTasks: (agentId, at) =>
        releaseAgentTasks({ agentId, at }).pipe(Effect.map((rows) => rows.length), databaseFailures),
      findById: (id) => databaseFailures(findById(id)),
      insert: (task) => databaseFailures(insert(task))
    })
  })
)
