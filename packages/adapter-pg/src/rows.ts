import {
  ActivityEvent,
  Agent,
  Board,
  BoardAccess,
  Gateway,
  Organization,
  OrganizationMember,
  Task,
  User
} from "@mission-control/core"
import { DateTime, Option, Redacted } from "effect"

// Rows come from the driver (timestamps as Date) or from jsonb snapshots of the change feed (timestamps as ISO
// strings); both decode here. Anything malformed is a defect: the schema is ours.

type Row = Readonly<Record<string, unknown>>

const timestamp = (value: unknown): DateTime.Utc => {
  if (value instanceof Date) return DateTime.unsafeFromDate(value)
  if (typeof value === "string") return Option.getOrThrow(DateTime.make(value)).pipe(DateTime.toUtc)
  throw new Error(`not a timestamp: ${String(value)}`)
}

const nullableTimestamp = (value: unknown): DateTime.Utc | null =>
  value === null || value === undefined ? null : timestamp(value)

const text = (value: unknown): string => {
  if (typeof value !== "string") throw new Error(`not a string: ${String(value)}`)
  return value
}

const nullableText = (value: unknown): string | null => value === null || value === undefined ? null : text(value)

const json = <A>(value: unknown): A | null => {
  if (value === null || value === undefined) return null
  return (typeof value === "string" ? JSON.parse(value) : value) as A
}

/** A Date for the driver, or null. */
export const toDate = (value: DateTime.Utc | null): Date | null => value === null ? null : DateTime.toDate(value)

/** A JSON value for a jsonb parameter. */
export const toJson = (value: unknown): string | null => value === null || value === undefined ? null : JSON.stringify(value)

/**
 * An agent row. Every column is checked by its reader above. This runs for every row of every page and stream event,
 * so it builds the instance as `new Agent(fields, true)` would (the class's prototype, these own fields; `Agent`
 * has no defaults to merge) without that constructor's copying and default-merging, which cost more than the row's
 * own reading. The repository contract checks that the result and a constructed `Agent` match.
 */
export const agentFromRow = (row: Row): Agent =>
  Object.assign(Object.create(Agent.prototype) as Agent, {
    id: text(row["id"]) as Agent["id"],
    boardId: nullableText(row["board_id"]) as Agent["boardId"],
    gatewayId: text(row["gateway_id"]) as Agent["gatewayId"],
    name: text(row["name"]),
    status: text(row["status"]),
    openclawSessionId: nullableText(row["openclaw_session_id"]),
    agentTokenDigest: nullableText(row["agent_token_digest"]),
    heartbeatConfig: json(row["heartbeat_config"]),
    identityProfile: json(row["identity_profile"]),
    identityTemplate: nullableText(row["identity_template"]),
    soulTemplate: nullableText(row["soul_template"]),
    provisionRequestedAt: nullableTimestamp(row["provision_requested_at"]),
    provisionConfirmTokenHash: nullableText(row["provision_confirm_token_hash"]),
    provisionAction: nullableText(row["provision_action"]),
    lastProvisionError: nullableText(row["last_provision_error"]),
    deleteRequestedAt: nullableTimestamp(row["delete_requested_at"]),
    deleteConfirmTokenHash: nullableText(row["delete_confirm_token_hash"]),
    lastSeenAt: nullableTimestamp(row["last_seen_at"]),
    isBoardLead: row["is_board_lead"] === true,
    createdAt: timestamp(row["created_at"]),
    updatedAt: timestamp(row["updated_at"])
  })

/** Column values of an agent, for inserts and updates. */
export const agentColumns = {
  boardId: ["board_id", (agent: Partial<Agent>) => agent.boardId ?? null],
  gatewayId: ["gateway_id", (agent: Partial<Agent>) => agent.gatewayId],
  name: ["name", (agent: Partial<Agent>) => agent.name],
  status: ["status", (agent: Partial<Agent>) => agent.status],
  openclawSessionId: ["openclaw_session_id", (agent: Partial<Agent>) => agent.openclawSessionId ?? null],
  agentTokenDigest: ["agent_token_digest", (agent: Partial<Agent>) => agent.agentTokenDigest ?? null],
  heartbeatConfig: ["heartbeat_config", (agent: Partial<Agent>) => toJson(agent.heartbeatConfig)],
  identityProfile: ["identity_profile", (agent: Partial<Agent>) => toJson(agent.identityProfile)],
  identityTemplate: ["identity_template", (agent: Partial<Agent>) => agent.identityTemplate ?? null],
  soulTemplate: ["soul_template", (agent: Partial<Agent>) => agent.soulTemplate ?? null],
  provisionRequestedAt: ["provision_requested_at", (agent: Partial<Agent>) => toDate(agent.provisionRequestedAt ?? null)],
  provisionConfirmTokenHash: [
    "provision_confirm_token_hash",
    (agent: Partial<Agent>) => agent.provisionConfirmTokenHash ?? null
  ],
  provisionAction: ["provision_action", (agent: Partial<Agent>) => agent.provisionAction ?? null],
  lastProvisionError: ["last_provision_error", (agent: Partial<Agent>) => agent.lastProvisionError ?? null],
  deleteRequestedAt: ["delete_requested_at", (agent: Partial<Agent>) => toDate(agent.deleteRequestedAt ?? null)],
  deleteConfirmTokenHash: ["delete_confirm_token_hash", (agent: Partial<Agent>) => agent.deleteConfirmTokenHash ?? null],
  lastSeenAt: ["last_seen_at", (agent: Partial<Agent>) => toDate(agent.lastSeenAt ?? null)],
  isBoardLead: ["is_board_lead", (agent: Partial<Agent>) => agent.isBoardLead ?? false],
  createdAt: ["created_at", (agent: Partial<Agent>) => toDate(agent.createdAt ?? null)],
  updatedAt: ["updated_at", (agent: Partial<Agent>) => toDate(agent.updatedAt ?? null)]
} as const satisfies Record<string, readonly [string, (agent: Partial<Agent>) => unknown]>

/** The full row of an agent. */
export const agentToRow = (agent: Agent): Record<string, unknown> => {
  const row: Record<string, unknown> = { id: agent.id }
  for (const [column, value] of Object.values(agentColumns)) row[column] = value(agent)
  return row
}

export const organizationFromRow = (row: Row): Organization =>
  new Organization({
    id: text(row["id"]) as Organization["id"],
    name: text(row["name"]),
    createdAt: timestamp(row["created_at"]),
    updatedAt: timestamp(row["updated_at"])
  })

export const userFromRow = (row: Row): User =>
  new User({
    id: text(row["id"]) as User["id"],
    email: nullableText(row["email"]),
    name: nullableText(row["name"]),
    preferredName: nullableText(row["preferred_name"]),
    pronouns: nullableText(row["pronouns"]),
    timezone: nullableText(row["timezone"]),
    notes: nullableText(row["notes"]),
    context: nullableText(row["context"]),
    activeOrganizationId: nullableText(row["active_organization_id"]) as User["activeOrganizationId"]
  })

export const memberFromRow = (row: Row): OrganizationMember =>
  new OrganizationMember({
    id: text(row["id"]) as OrganizationMember["id"],
    organizationId: text(row["organization_id"]) as OrganizationMember["organizationId"],
    userId: text(row["user_id"]) as OrganizationMember["userId"],
    role: text(row["role"]) as OrganizationMember["role"],
    allBoardsRead: row["all_boards_read"] === true,
    allBoardsWrite: row["all_boards_write"] === true,
    createdAt: timestamp(row["created_at"]),
    updatedAt: timestamp(row["updated_at"])
  })

export const boardAccessFromRow = (row: Row): BoardAccess =>
  new BoardAccess({
    id: text(row["id"]) as BoardAccess["id"],
    memberId: text(row["member_id"]) as BoardAccess["memberId"],
    boardId: text(row["board_id"]) as BoardAccess["boardId"],
    canRead: row["can_read"] === true,
    canWrite: row["can_write"] === true,
    createdAt: timestamp(row["created_at"]),
    updatedAt: timestamp(row["updated_at"])
  })

export const boardFromRow = (row: Row): Board =>
  new Board({
    id: text(row["id"]) as Board["id"],
    organizationId: text(row["organization_id"]) as Board["organizationId"],
    name: text(row["name"]),
    slug: text(row["slug"]),
    description: text(row["description"]),
    gatewayId: nullableText(row["gateway_id"]) as Board["gatewayId"],
    boardType: text(row["board_type"]),
    objective: nullableText(row["objective"]),
    successMetrics: json(row["success_metrics"]),
    targetDate: nullableTimestamp(row["target_date"]),
    goalConfirmed: row["goal_confirmed"] === true,
    createdAt: timestamp(row["created_at"]),
    updatedAt: timestamp(row["updated_at"])
  })

export const boardToRow = (board: Board): Record<string, unknown> => ({
  id: board.id,
  organization_id: board.organizationId,
  name: board.name,
  slug: board.slug,
  description: board.description,
  gateway_id: board.gatewayId,
  board_type: board.boardType,
  objective: board.objective,
  success_metrics: toJson(board.successMetrics),
  target_date: toDate(board.targetDate),
  goal_confirmed: board.goalConfirmed,
  created_at: toDate(board.createdAt),
  updated_at: toDate(board.updatedAt)
})

export const gatewayFromRow = (row: Row): Gateway => {
  const token = nullableText(row["token"])
  return new Gateway({
    id: text(row["id"]) as Gateway["id"],
    organizationId: text(row["organization_id"]) as Gateway["organizationId"],
    name: text(row["name"]),
    url: text(row["url"]),
    token: token === null ? null : Redacted.make(token),
    workspaceRoot: text(row["workspace_root"]),
    createdAt: timestamp(row["created_at"]),
    updatedAt: timestamp(row["updated_at"])
  })
}

export const gatewayToRow = (gateway: Gateway): Record<string, unknown> => ({
  id: gateway.id,
  organization_id: gateway.organizationId,
  name: gateway.name,
  url: gateway.url,
  token: gateway.token === null ? null : Redacted.value(gateway.token),
  workspace_root: gateway.workspaceRoot,
  created_at: toDate(gateway.createdAt),
  updated_at: toDate(gateway.updatedAt)
})

export const taskFromRow = (row: Row): Task =>
  new Task({
    id: text(row["id"]) as Task["id"],
    boardId: nullableText(row["board_id"]) as Task["boardId"],
    status: text(row["status"]),
    inProgressAt: nullableTimestamp(row["in_progress_at"]),
    assignedAgentId: nullableText(row["assigned_agent_id"]) as Task["assignedAgentId"],
    updatedAt: timestamp(row["updated_at"])
  })

export const activityFromRow = (row: Row): ActivityEvent =>
  new ActivityEvent({
    id: text(row["id"]) as ActivityEvent["id"],
    eventType: text(row["event_type"]),
    message: nullableText(row["message"]),
    agentId: nullableText(row["agent_id"]) as ActivityEvent["agentId"],
    taskId: nullableText(row["task_id"]) as ActivityEvent["taskId"],
    createdAt: timestamp(row["created_at"])
  })
