import { ActivityEvent, ActivityRepository, AgentId } from "@mission-control/core"
import { Effect, Layer, Schema } from "effect"
import { SqlSchema } from "effect/sql"
import { databaseFailures, sqlClient, Timestamp } from "./internal/sql.js"

/** A row of `mc_activity_events` as an `ActivityEvent`, and back. Its `seq` column only orders the log. */
export const ActivityFromRow = Schema.Struct({
  id: Schema.String,
  eventType: Schema.String,
  message: Schema.NullOr(Schema.String),
  agentId: Schema.NullOr(Schema.String),
  taskId: Schema.NullOr(Schema.String),
  createdAt: Timestamp
}).pipe(
  Schema.encodeKeys({ eventType: "event_type", agentId: "agent_id", taskId: "task_id", createdAt: "created_at" }),
  Schema.decodeTo(ActivityEvent)
)

/** `ActivityRepository` on the `SqlClient` in context. */
export const layer = Layer.effect(
  ActivityRepository,
  Effect.gen(function*() {
    const sql = yield* sqlClient
    const record = SqlSchema.void({
      Request: ActivityFromRow,
      execute: (row) => sql`INSERT INTO mc_activity_events ${sql.insert(row)}`
    })
    const listByAgent = SqlSchema.findAll({
      Request: AgentId,
      Result: ActivityFromRow,
      execute: (agentId) => sql`SELECT * FROM mc_activity_events WHERE agent_id = ${agentId} ORDER BY created_at, seq`
    })
    const listRecent = SqlSchema.findAll({
      Request: Schema.Number,
      Result: ActivityFromRow,
      execute: (limit) => sql`SELECT * FROM mc_activity_events ORDER BY created_at DESC, seq DESC LIMIT ${limit}`
    })
    return ActivityRepository.of({
      record: (event) => databaseFailures(record(event)),
      detachAgent: (agentId) =>
        sql`UPDATE mc_activity_events SET agent_id = NULL WHERE agent_id = ${agentId}`.pipe(
          Effect.asVoid,
          databaseFailures
        ),
      listByAgent: (agentId) => databaseFailures(listByAgent(agentId)),
      listRecent: (limit) => databaseFailures(listRecent(limit))
    })
  })
)
