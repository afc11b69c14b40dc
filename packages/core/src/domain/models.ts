import { Effect, Schema } from "effect"
import {
  ActivityEventId,
  AgentId,
  BoardAccessId,
  BoardId,
  BoardMemoryId,
  GatewayId,
  MemberId,
  OrganizationId,
  TaskId,
  UserId
} from "./ids.js"

const Timestamp = Schema.DateTimeUtc
const NullableTimestamp = Schema.NullOr(Schema.DateTimeUtc)

/** A JSON object as stored in `heartbeat_config` and similar columns. */
export const JsonObject = Schema.Record(Schema.String, Schema.Unknown)
export type JsonObject = typeof JsonObject.Type

/** A normalised identity profile: trimmed, non-empty string values. */
export const IdentityProfile = Schema.Record(Schema.String, Schema.String)
export type IdentityProfile = typeof IdentityProfile.Type

/** An organization owning boards, gateways and agents. */
export class Organization extends Schema.Class<Organization>("Organization")({
  id: OrganizationId,
  name: Schema.String,
  createdAt: Timestamp,
  updatedAt: Timestamp
}) {}

/** The role of a member in an organization (rank owner > admin > member). */
export const MemberRole = Schema.Literals(["owner", "admin", "member"])
export type MemberRole = typeof MemberRole.Type

/** A user's membership of an organization. */
export class OrganizationMember extends Schema.Class<OrganizationMember>("OrganizationMember")({
  id: MemberId,
  organizationId: OrganizationId,
  userId: UserId,
  role: MemberRole,
  allBoardsRead: Schema.Boolean,
  allBoardsWrite: Schema.Boolean,
  createdAt: Timestamp,
  updatedAt: Timestamp
}) {}

/** A per-board access grant of a member. */
export class BoardAccess extends Schema.Class<BoardAccess>("BoardAccess")({
  id: BoardAccessId,
  memberId: MemberId,
  boardId: BoardId,
  canRead: Schema.Boolean,
  canWrite: Schema.Boolean,
  createdAt: Timestamp,
  updatedAt: Timestamp
}) {}

/** A user of the host application, as the templates and access rules see it. */
export class User extends Schema.Class<User>("User")({
  id: UserId,
  email: Schema.NullOr(Schema.String),
  name: Schema.NullOr(Schema.String),
  preferredName: Schema.NullOr(Schema.String),
  pronouns: Schema.NullOr(Schema.String),
  timezone: Schema.NullOr(Schema.String),
  notes: Schema.NullOr(Schema.String),
  context: Schema.NullOr(Schema.String),
  activeOrganizationId: Schema.NullOr(OrganizationId)
}) {}

/** A board: a unit of work with at most one lead agent. */
export class Board extends Schema.Class<Board>("Board")({
  id: BoardId,
  organizationId: OrganizationId,
  name: Schema.String,
  slug: Schema.String,
  description: Schema.String,
  gatewayId: Schema.NullOr(GatewayId),
  boardType: Schema.String,
  objective: Schema.NullOr(Schema.String),
  successMetrics: Schema.NullOr(JsonObject),
  targetDate: NullableTimestamp,
  goalConfirmed: Schema.Boolean,
  goalSource: Schema.NullOr(Schema.String),
  /** The reference's board group; Mission Control keeps no board groups, so always `null` here. */
  boardGroupId: Schema.NullOr(Schema.String),
  requireApprovalForDone: Schema.Boolean,
  requireReviewBeforeDone: Schema.Boolean,
  commentRequiredForReview: Schema.Boolean,
  blockStatusChangesWithPendingApproval: Schema.Boolean,
  onlyLeadCanChangeStatus: Schema.Boolean,
  /** How many worker agents (the lead not counted) a board lead may create on the board. */
  maxAgents: Schema.Int,
  createdAt: Timestamp,
  updatedAt: Timestamp
}) {}

/** A board's fields a new board takes when the host gives none (the reference's defaults). */
export const boardDefaults = {
  goalSource: null,
  boardGroupId: null,
  requireApprovalForDone: true,
  requireReviewBeforeDone: false,
  commentRequiredForReview: false,
  blockStatusChangesWithPendingApproval: false,
  onlyLeadCanChangeStatus: false,
  maxAgents: 1
} as const

/** An OpenClaw gateway the control plane drives. The token is a secret. */
export class Gateway extends Schema.Class<Gateway>("Gateway")({
  id: GatewayId,
  organizationId: OrganizationId,
  name: Schema.String,
  url: Schema.String,
  token: Schema.NullOr(Schema.Redacted(Schema.String)),
  workspaceRoot: Schema.String,
  /** For `wss://` URLs: accept any certificate (self-signed gateways). */
  allowInsecureTls: Schema.Boolean,
  /** Connect as the gateway's control UI (no device identity, so no pairing). */
  disableDevicePairing: Schema.Boolean,
  createdAt: Timestamp,
  updatedAt: Timestamp
}) {}

/** An agent record. `boardId === null` marks the gateway-main agent of `gatewayId`. */
export class Agent extends Schema.Class<Agent>("Agent")({
  id: AgentId,
  boardId: Schema.NullOr(BoardId),
  gatewayId: GatewayId,
  name: Schema.String,
  status: Schema.String,
  openclawSessionId: Schema.NullOr(Schema.String),
  agentTokenDigest: Schema.NullOr(Schema.String),
  heartbeatConfig: Schema.NullOr(JsonObject),
  identityProfile: Schema.NullOr(IdentityProfile),
  identityTemplate: Schema.NullOr(Schema.String),
  soulTemplate: Schema.NullOr(Schema.String),
  provisionRequestedAt: NullableTimestamp,
  provisionConfirmTokenHash: Schema.NullOr(Schema.String),
  provisionAction: Schema.NullOr(Schema.String),
  lastProvisionError: Schema.NullOr(Schema.String),
  deleteRequestedAt: NullableTimestamp,
  deleteConfirmTokenHash: Schema.NullOr(Schema.String),
  lastSeenAt: NullableTimestamp,
  /** When the agent last called a heartbeat route (`lastSeenAt` also moves on any authenticated call). */
  lastHeartbeatAt: NullableTimestamp,
  /** Counts provisioning runs; a check-in scheduled by one run is void once another has started. */
  lifecycleGeneration: Schema.Int,
  /** Wakeups sent since the agent last checked in (a heartbeat sets it back to 0). */
  wakeAttempts: Schema.Int,
  lastWakeSentAt: NullableTimestamp,
  /** When a woken agent must have checked in by; null when no check-in is awaited. */
  checkinDeadlineAt: NullableTimestamp,
  /** The digest of the token a rotation replaced, accepted until `previousTokenValidUntil`. */
  previousTokenDigest: Schema.NullOr(Schema.String),
  previousTokenValidUntil: NullableTimestamp,
  isBoardLead: Schema.Boolean,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /**
   * The id an adopted agent had on its gateway before Mission Control managed it, which it keeps (its gateway agent
   * id, session key and workspace follow from it); null for the agents Mission Control created and named.
   */
  adoptedGatewayAgentId: Schema.NullOr(Schema.String).pipe(Schema.withConstructorDefault(Effect.succeed(null)))
}) {}

/** The fields of a task that agent deletion touches. */
export class Task extends Schema.Class<Task>("Task")({
  id: TaskId,
  boardId: Schema.NullOr(BoardId),
  status: Schema.String,
  inProgressAt: NullableTimestamp,
  assignedAgentId: Schema.NullOr(AgentId),
  updatedAt: Timestamp
}) {}

/** An entry of the activity log. */
export class ActivityEvent extends Schema.Class<ActivityEvent>("ActivityEvent")({
  id: ActivityEventId,
  eventType: Schema.String,
  message: Schema.NullOr(Schema.String),
  agentId: Schema.NullOr(AgentId),
  taskId: Schema.NullOr(TaskId),
  createdAt: Timestamp
}) {}

/** A board memory item; chat items `/pause` and `/resume` pause template sync for the board. */
export class BoardMemory extends Schema.Class<BoardMemory>("BoardMemory")({
  id: BoardMemoryId,
  boardId: BoardId,
  content: Schema.String,
  tags: Schema.NullOr(Schema.Array(Schema.String)),
  isChat: Schema.Boolean,
  source: Schema.NullOr(Schema.String),
  createdAt: Timestamp
}) {}

/** A page of a listing as the programs return it: the items asked for, the total count, and the page asked for. */
export interface PageResult<A> {
  readonly items: ReadonlyArray<A>
  readonly total: number
  readonly limit: number
  readonly offset: number
}
