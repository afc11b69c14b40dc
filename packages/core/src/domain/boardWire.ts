import { DateTime, Effect, Schema, SchemaTransformation } from "effect"
import { pydanticIssue } from "../http/fields.js"
import { BoardId, BoardMemoryId, GatewayId, OrganizationId } from "./ids.js"
import { boundedText, limits, noNulCharacter, withinJsonLimits } from "./limits.js"
import type { Board, BoardMemory } from "./models.js"
import { boardDefaults, JsonObject } from "./models.js"
import { formatTimestamp } from "./wire.js"
import { fromWireKeys, Name, trimmedText, withDefault } from "./wireFields.js"

// The reference's board and board-memory bodies (schemas/boards.py, schemas/board_memory.py), in its field names.

const isoDateTime = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i

/**
 * A datetime as pydantic reads one from JSON text: ISO 8601, a date alone meaning its midnight; without an offset it
 * is UTC (the reference stores naive UTC datetimes).
 */
export const DateTimeText = Schema.String.pipe(Schema.decodeTo(
  Schema.DateTimeUtc,
  SchemaTransformation.transformEffect({
    decode: (text, options) => {
      const match = isoDateTime.exec(text.trim())
      const iso = match === null
        ? undefined
        : `${match[1]}T${match[2] ?? "00:00"}${(match[3] ?? "Z").toUpperCase()}`
      const value = iso === undefined ? undefined : DateTime.make(iso)
      return value === undefined || value._tag === "None"
        ? Effect.fail(
          pydanticIssue(
            "datetime_from_date_parsing",
            "Input should be a valid datetime or date",
            undefined,
            text,
            options
          )
        )
        : Effect.succeed(DateTime.toUtc(value.value))
    },
    encode: (value) => Effect.succeed(DateTime.formatIso(value))
  })
))

const Slug = trimmedText(limits.name)
const Description = Schema.Trim.check(Schema.isMaxLength(limits.template), noNulCharacter)
const ShortText = boundedText(limits.name)
const LongText = boundedText(limits.template)
const SuccessMetrics = Schema.NullOr(JsonObject.check(withinJsonLimits))
const MaxAgents = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
/** The reference's board group: Mission Control keeps none, so any id given is an invalid one (422). */
const BoardGroupId = Schema.NullOr(Schema.String.check(Schema.isGUID()))

const boardWireNames = {
  gatewayId: "gateway_id",
  boardGroupId: "board_group_id",
  boardType: "board_type",
  successMetrics: "success_metrics",
  targetDate: "target_date",
  goalConfirmed: "goal_confirmed",
  goalSource: "goal_source",
  requireApprovalForDone: "require_approval_for_done",
  requireReviewBeforeDone: "require_review_before_done",
  commentRequiredForReview: "comment_required_for_review",
  blockStatusChangesWithPendingApproval: "block_status_changes_with_pending_approval",
  onlyLeadCanChangeStatus: "only_lead_can_change_status",
  maxAgents: "max_agents"
} as const

const descriptionRequired = "description is required"
const gatewayRequired = "gateway_id is required"

/** Body of `POST /boards`. */
const BoardCreateWire = fromWireKeys({
  name: Name,
  slug: Slug,
  description: Description,
  gatewayId: withDefault(Schema.NullOr(GatewayId), null),
  boardGroupId: withDefault(BoardGroupId, null),
  boardType: withDefault(ShortText, "goal"),
  objective: withDefault(Schema.NullOr(LongText), null),
  successMetrics: withDefault(SuccessMetrics, null),
  targetDate: withDefault(Schema.NullOr(DateTimeText), null),
  goalConfirmed: withDefault(Schema.Boolean, false),
  goalSource: withDefault(Schema.NullOr(LongText), boardDefaults.goalSource),
  requireApprovalForDone: withDefault(Schema.Boolean, boardDefaults.requireApprovalForDone),
  requireReviewBeforeDone: withDefault(Schema.Boolean, boardDefaults.requireReviewBeforeDone),
  commentRequiredForReview: withDefault(Schema.Boolean, boardDefaults.commentRequiredForReview),
  blockStatusChangesWithPendingApproval: withDefault(
    Schema.Boolean,
    boardDefaults.blockStatusChangesWithPendingApproval
  ),
  onlyLeadCanChangeStatus: withDefault(Schema.Boolean, boardDefaults.onlyLeadCanChangeStatus),
  maxAgents: withDefault(MaxAgents, boardDefaults.maxAgents)
}, boardWireNames)

// The reference's model validator: one message for the whole body, in its order.
const boardCreateProblem = (body: typeof BoardCreateWire.body.Type): string | true => {
  if (body.description === "") return descriptionRequired
  if (body.gateway_id === undefined || body.gateway_id === null) return gatewayRequired
  const goalType = (body.board_type ?? "goal") === "goal"
  if (goalType && body.goal_confirmed === true && (!body.objective || !body.success_metrics)) {
    return "Confirmed goal boards require objective and success_metrics"
  }
  return true
}

/** The body on the wire. */
export const BoardCreateBody = BoardCreateWire.body.check(Schema.makeFilter(boardCreateProblem))
export type BoardCreateBody = typeof BoardCreateBody.Type
/** The domain input of the body. */
export const BoardCreate = BoardCreateWire.schema
export type BoardCreate = typeof BoardCreate.Type
/** The domain input of a decoded body. */
export const toBoardCreate = BoardCreateWire.fromBody

/** Body of `PATCH /boards/{board_id}`: only the fields present are applied. */
const BoardUpdateWire = fromWireKeys({
  name: Schema.optionalKey(Name),
  slug: Schema.optionalKey(Slug),
  description: Schema.optionalKey(Schema.NullOr(Description)),
  gatewayId: Schema.optionalKey(Schema.NullOr(GatewayId)),
  boardGroupId: Schema.optionalKey(BoardGroupId),
  boardType: Schema.optionalKey(ShortText),
  objective: Schema.optionalKey(Schema.NullOr(LongText)),
  successMetrics: Schema.optionalKey(SuccessMetrics),
  targetDate: Schema.optionalKey(Schema.NullOr(DateTimeText)),
  goalConfirmed: Schema.optionalKey(Schema.Boolean),
  goalSource: Schema.optionalKey(Schema.NullOr(LongText)),
  requireApprovalForDone: Schema.optionalKey(Schema.Boolean),
  requireReviewBeforeDone: Schema.optionalKey(Schema.Boolean),
  commentRequiredForReview: Schema.optionalKey(Schema.Boolean),
  blockStatusChangesWithPendingApproval: Schema.optionalKey(Schema.Boolean),
  onlyLeadCanChangeStatus: Schema.optionalKey(Schema.Boolean),
  maxAgents: Schema.optionalKey(MaxAgents)
}, boardWireNames)

const boardUpdateProblem = (body: typeof BoardUpdateWire.body.Type): string | true => {
  if ("gateway_id" in body && body.gateway_id === null) return gatewayRequired
  if ("description" in body && (body.description === null || body.description === "")) return descriptionRequired
  return true
}

/** The body on the wire. */
export const BoardUpdateBody = BoardUpdateWire.body.check(Schema.makeFilter(boardUpdateProblem))
export type BoardUpdateBody = typeof BoardUpdateBody.Type
/** The domain input of the body. */
export const BoardUpdate = BoardUpdateWire.schema
export type BoardUpdate = typeof BoardUpdate.Type
/** The domain input of a decoded body. */
export const toBoardUpdate = BoardUpdateWire.fromBody

/** `BoardRead` of the reference API. */
export const BoardRead = Schema.Struct({
  name: Schema.String,
  slug: Schema.String,
  description: Schema.String,
  gateway_id: Schema.NullOr(GatewayId),
  board_group_id: Schema.NullOr(Schema.String),
  board_type: Schema.String,
  objective: Schema.NullOr(Schema.String),
  success_metrics: Schema.NullOr(JsonObject),
  target_date: Schema.NullOr(Schema.String),
  goal_confirmed: Schema.Boolean,
  goal_source: Schema.NullOr(Schema.String),
  require_approval_for_done: Schema.Boolean,
  require_review_before_done: Schema.Boolean,
  comment_required_for_review: Schema.Boolean,
  block_status_changes_with_pending_approval: Schema.Boolean,
  only_lead_can_change_status: Schema.Boolean,
  max_agents: Schema.Int,
  id: BoardId,
  organization_id: OrganizationId,
  created_at: Schema.String,
  updated_at: Schema.String
})
export type BoardRead = typeof BoardRead.Type

/** The API view of a board. */
export const toBoardRead = (board: Board): BoardRead => ({
  name: board.name,
  slug: board.slug,
  description: board.description,
  gateway_id: board.gatewayId,
  board_group_id: board.boardGroupId,
  board_type: board.boardType,
  objective: board.objective,
  success_metrics: board.successMetrics,
  target_date: board.targetDate === null ? null : formatTimestamp(board.targetDate),
  goal_confirmed: board.goalConfirmed,
  goal_source: board.goalSource,
  require_approval_for_done: board.requireApprovalForDone,
  require_review_before_done: board.requireReviewBeforeDone,
  comment_required_for_review: board.commentRequiredForReview,
  block_status_changes_with_pending_approval: board.blockStatusChangesWithPendingApproval,
  only_lead_can_change_status: board.onlyLeadCanChangeStatus,
  max_agents: board.maxAgents,
  id: board.id,
  organization_id: board.organizationId,
  created_at: formatTimestamp(board.createdAt),
  updated_at: formatTimestamp(board.updatedAt)
})

/** Body of `POST /boards/{board_id}/memory`. */
const BoardMemoryCreateWire = fromWireKeys({
  content: trimmedText(limits.template),
  tags: withDefault(Schema.NullOr(Schema.Array(ShortText)), null),
  source: withDefault(Schema.NullOr(ShortText), null)
}, {})
/** The body on the wire. */
export const BoardMemoryCreateBody = BoardMemoryCreateWire.body
export type BoardMemoryCreateBody = typeof BoardMemoryCreateBody.Type
/** The domain input of the body. */
export const BoardMemoryCreate = BoardMemoryCreateWire.schema
export type BoardMemoryCreate = typeof BoardMemoryCreate.Type
/** The domain input of a decoded body. */
export const toBoardMemoryCreate = BoardMemoryCreateWire.fromBody

/** `BoardMemoryRead` of the reference API. */
export const BoardMemoryRead = Schema.Struct({
  id: BoardMemoryId,
  board_id: BoardId,
  content: Schema.String,
  tags: Schema.NullOr(Schema.Array(Schema.String)),
  source: Schema.NullOr(Schema.String),
  is_chat: Schema.Boolean,
  created_at: Schema.String
})
export type BoardMemoryRead = typeof BoardMemoryRead.Type

/** The API view of a board memory item. */
export const toBoardMemoryRead = (memory: BoardMemory): BoardMemoryRead => ({
  id: memory.id,
  board_id: memory.boardId,
  content: memory.content,
  tags: memory.tags,
  source: memory.source,
  is_chat: memory.isChat,
  created_at: formatTimestamp(memory.createdAt)
})
