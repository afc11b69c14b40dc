import { Board, BoardId, BoardRepository, GatewayId, JsonObject, OrganizationId } from "@mission-control/core"
import { Effect, Layer, Schema } from "effect"
import { SqlSchema } from "effect/sql"
import { CountRow, databaseFailures, Jsonb, NullableTimestamp, sqlClient, Timestamp } from "./internal/sql.js"

/** The columns whose names differ from the domain's fields. */
const columnNames = {
  organizationId: "organization_id",
  gatewayId: "gateway_id",
  boardType: "board_type",
  successMetrics: "success_metrics",
  targetDate: "target_date",
  goalConfirmed: "goal_confirmed",
  goalSource: "goal_source",
  boardGroupId: "board_group_id",
  requireApprovalForDone: "require_approval_for_done",
  requireReviewBeforeDone: "require_review_before_done",
  commentRequiredForReview: "comment_required_for_review",
  blockStatusChangesWithPendingApproval: "block_status_changes_with_pending_approval",
  onlyLeadCanChangeStatus: "only_lead_can_change_status",
  maxAgents: "max_agents",
  createdAt: "created_at",
  updatedAt: "updated_at"
} as const

/** A row of `mc_boards` as a `Board`, and back. */
export const BoardFromRow = Schema.Struct({
  id: Schema.String,
  organizationId: Schema.String,
  name: Schema.String,
  slug: Schema.String,
  description: Schema.String,
  gatewayId: Schema.NullOr(Schema.String),
  boardType: Schema.String,
  objective: Schema.NullOr(Schema.String),
  successMetrics: Jsonb(JsonObject),
  targetDate: NullableTimestamp,
  goalConfirmed: Schema.Boolean,
  goalSource: Schema.NullOr(Schema.String),
  boardGroupId: Schema.NullOr(Schema.String),
  requireApprovalForDone: Schema.Boolean,
  requireReviewBeforeDone: Schema.Boolean,
  commentRequiredForReview: Schema.Boolean,
  blockStatusChangesWithPendingApproval: Schema.Boolean,
  onlyLeadCanChangeStatus: Schema.Boolean,
  maxAgents: Schema.Int,
  createdAt: Timestamp,
  updatedAt: Timestamp
}).pipe(
  Schema.encodeKeys(columnNames),
  Schema.decodeTo(Board)
)

// Ids as plain strings: the request is only written, never read back.
const ListRequest = Schema.Struct({
  organizationId: Schema.String,
  boardIds: Schema.UndefinedOr(Schema.Array(Schema.String)),
  gatewayId: Schema.UndefinedOr(Schema.String),
  order: Schema.Literals(["name", "newest"]),
  limit: Schema.Number,
  offset: Schema.Number
})

/** `BoardRepository` on the `SqlClient` in context. */
export const layer = Layer.effect(
  BoardRepository,
  Effect.gen(function*() {
    const sql = yield* sqlClient
    const findById = SqlSchema.findOneOption({
      Request: BoardId,
      Result: BoardFromRow,
      execute: (id) => sql`SELECT * FROM mc_boards WHERE id = ${id}`
    })
    const listByGateway = SqlSchema.findAll({
      Request: GatewayId,
      Result: BoardFromRow,
      execute: (gatewayId) => sql`SELECT * FROM mc_boards WHERE gateway_id = ${gatewayId} ORDER BY created_at, id`
    })
    const listIdsByOrganization = SqlSchema.findAll({
      Request: OrganizationId,
      Result: Schema.Struct({ id: BoardId }),
      execute: (organizationId) => sql`SELECT id FROM mc_boards WHERE organization_id = ${organizationId}`
    })
    const listPage = SqlSchema.findAll({
      Request: ListRequest,
      Result: BoardFromRow,
      execute: (request) =>
        sql`
          SELECT * FROM mc_boards WHERE ${where(request)}
          ORDER BY ${
          request.order === "name" ? sql`lower(name), created_at DESC, id DESC` : sql`created_at DESC, id DESC`
        }
          LIMIT ${request.limit} OFFSET ${request.offset}`
    })
    const count = SqlSchema.findOne({
      Request: ListRequest,
      Result: CountRow,
      execute: (request) => sql`SELECT count(*)::int AS total FROM mc_boards WHERE ${where(request)}`
    })
    const where = (request: typeof ListRequest.Type) =>
      sql.and([
        sql`organization_id = ${request.organizationId}`,
        ...(request.boardIds === undefined ? [] : [sql`id = ANY(${request.boardIds}::uuid[])`]),
        ...(request.gatewayId === undefined ? [] : [sql`gateway_id = ${request.gatewayId}`])
      ])
    const insert = SqlSchema.void({
      Request: BoardFromRow,
      execute: (row) => sql`INSERT INTO mc_boards ${sql.insert(row)}`
    })
    const encodeRow = Schema.encodeEffect(BoardFromRow)
    /** Writes only the `changed` fields of `board`, so that concurrent updates of other fields are kept. */
    const update = (board: Board, changed: ReadonlyArray<keyof Board>) =>
      Effect.gen(function*() {
        const row: Readonly<Record<string, unknown>> = yield* encodeRow(board)
        const columns = Object.fromEntries(
          changed.map((field) => {
            const column = (columnNames as Readonly<Record<string, string>>)[field] ?? field
            return [column, row[column]]
          })
        )
        const updated = yield* sql`UPDATE mc_boards SET ${sql.update(columns)} WHERE id = ${board.id} RETURNING id`
        return updated.length > 0
      })
    return BoardRepository.of({
      findById: (id) => databaseFailures(findById(id)),
      listByGateway: (gatewayId) => databaseFailures(listByGateway(gatewayId)),
      listIdsByOrganization: (organizationId) =>
        listIdsByOrganization(organizationId).pipe(Effect.map((rows) => rows.map((row) => row.id)), databaseFailures),
      list: (filter, page) => {
        const request = {
          organizationId: filter.organizationId,
          boardIds: filter.boardIds,
          gatewayId: filter.gatewayId,
          order: filter.order,
          limit: page.limit,
          offset: page.offset
        }
        return Effect.all({
          items: listPage(request),
          total: Effect.map(count(request), (row) => row.total)
        }).pipe(databaseFailures)
      },
      insert: (board) => databaseFailures(insert(board)),
      update: (board, changed) => databaseFailures(update(board, changed)),
      delete: (id) =>
        sql`
          DELETE FROM mc_boards WHERE id = ${id}
          AND NOT EXISTS (SELECT 1 FROM mc_agents WHERE board_id = ${id})
          RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          databaseFailures
        )
    })
  })
)
