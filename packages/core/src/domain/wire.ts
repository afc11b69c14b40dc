import { DateTime, Schema } from "effect"
import { computedStatus } from "./identity.js"
import { AgentId, BoardId, GatewayId, OrganizationId } from "./ids.js"
import { boundedText, limits } from "./limits.js"
import type { Agent, Gateway } from "./models.js"
import { JsonObject } from "./models.js"
import type { SyncAgentProgress, TemplateSyncProblem, TemplateSyncSummary } from "./templateSync.js"
import {
  fromWireKeys,
  HeartbeatConfig,
  IdentityProfileInput,
  Name,
  Status,
  Template,
  trimmedText,
  withDefault
} from "./wireFields.js"

// Wire shapes keep the reference API's snake_case field names, so its HTTP clients work unchanged.

/** Body of `POST /agents`. */
const AgentCreateWire = fromWireKeys({
  boardId: withDefault(Schema.NullOr(BoardId), null),
  name: Name,
  status: withDefault(Status, "provisioning"),
  heartbeatConfig: withDefault(HeartbeatConfig, null),
  identityProfile: withDefault(IdentityProfileInput, null),
  identityTemplate: withDefault(Template, null),
  soulTemplate: withDefault(Template, null),
  isBoardLead: withDefault(Schema.Boolean, false)
}, {
  boardId: "board_id",
  isBoardLead: "is_board_lead",
  heartbeatConfig: "heartbeat_config",
  identityProfile: "identity_profile",
  identityTemplate: "identity_template",
  soulTemplate: "soul_template"
})
/** The domain input of the body. */
export const AgentCreate = AgentCreateWire.schema
export type AgentCreate = typeof AgentCreate.Type
/** The body on the wire. */
export const AgentCreateBody = AgentCreateWire.body
export type AgentCreateBody = typeof AgentCreateBody.Type
/** The domain input of a decoded body. */
export const toAgentCreate = AgentCreateWire.fromBody

/** Body of `PATCH /agents/{id}`: only the fields present are applied. */
const AgentUpdateWire = fromWireKeys({
  boardId: Schema.optionalKey(Schema.NullOr(BoardId)),
  isGatewayMain: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  name: Schema.optionalKey(Name),
  status: Schema.optionalKey(Status),
  heartbeatConfig: Schema.optionalKey(HeartbeatConfig),
  identityProfile: Schema.optionalKey(IdentityProfileInput),
  identityTemplate: Schema.optionalKey(Template),
  soulTemplate: Schema.optionalKey(Template)
}, {
  boardId: "board_id",
  isGatewayMain: "is_gateway_main",
  heartbeatConfig: "heartbeat_config",
  identityProfile: "identity_profile",
  identityTemplate: "identity_template",
  soulTemplate: "soul_template"
})
/** The domain input of the body. */
export const AgentUpdate = AgentUpdateWire.schema
export type AgentUpdate = typeof AgentUpdate.Type
/** The body on the wire. */
export const AgentUpdateBody = AgentUpdateWire.body
export type AgentUpdateBody = typeof AgentUpdateBody.Type
/** The domain input of a decoded body. */
export const toAgentUpdate = AgentUpdateWire.fromBody

/** Body of `POST /agents/{id}/heartbeat`. */
const AgentHeartbeatWire = fromWireKeys({ status: withDefault(Status, null) }, {})
/** The domain input of the body. */
export const AgentHeartbeat = AgentHeartbeatWire.schema
export type AgentHeartbeat = typeof AgentHeartbeat.Type
/** The body on the wire. */
export const AgentHeartbeatBody = AgentHeartbeatWire.body
export type AgentHeartbeatBody = typeof AgentHeartbeatBody.Type
/** The domain input of a decoded body. */
export const toAgentHeartbeat = AgentHeartbeatWire.fromBody

/** Body of `POST /agents/heartbeat` and `POST /agent/heartbeat`. */
const AgentHeartbeatCreateWire = fromWireKeys({
  status: withDefault(Status, null),
  name: Name,
  boardId: withDefault(Schema.NullOr(BoardId), null)
}, { boardId: "board_id" })
/** The domain input of the body. */
export const AgentHeartbeatCreate = AgentHeartbeatCreateWire.schema
export type AgentHeartbeatCreate = typeof AgentHeartbeatCreate.Type
/** The body on the wire. */
export const AgentHeartbeatCreateBody = AgentHeartbeatCreateWire.body
export type AgentHeartbeatCreateBody = typeof AgentHeartbeatCreateBody.Type
/** The domain input of a decoded body. */
export const toAgentHeartbeatCreate = AgentHeartbeatCreateWire.fromBody

// Write-only: accepted on create and update, never part of a response (`GatewayRead.has_token` says whether one is set).
const OptionalToken = Schema.optionalKey(
  Schema.NullOr(boundedText(limits.token)).annotate({
    writeOnly: true,
    description: "The gateway's token. Write-only: responses never include it (see `has_token`)."
  })
)

const isWebSocketUrl = (text: string): boolean => {
  if (!URL.canParse(text)) return false
  const protocol = new URL(text).protocol
  return protocol === "ws:" || protocol === "wss:"
}

/** A gateway's WebSocket URL: `ws://` or `wss://`, parseable. */
export const GatewayUrl = trimmedText(limits.url).check(
  Schema.makeFilter((text: string) => isWebSocketUrl(text) || "Expected a ws:// or wss:// URL")
)

const gatewayWireNames = {
  workspaceRoot: "workspace_root",
  allowInsecureTls: "allow_insecure_tls",
  disableDevicePairing: "disable_device_pairing"
} as const

/** Body of `POST /gateways`. */
const GatewayCreateWire = fromWireKeys({
  name: Name,
  url: GatewayUrl,
  workspaceRoot: trimmedText(limits.path),
  token: OptionalToken,
  allowInsecureTls: withDefault(Schema.Boolean, false),
  disableDevicePairing: withDefault(Schema.Boolean, false)
}, gatewayWireNames)
/** The domain input of the body. */
export const GatewayCreate = GatewayCreateWire.schema
export type GatewayCreate = typeof GatewayCreate.Type
/** The body on the wire. */
export const GatewayCreateBody = GatewayCreateWire.body
export type GatewayCreateBody = typeof GatewayCreateBody.Type
/** The domain input of a decoded body. */
export const toGatewayCreate = GatewayCreateWire.fromBody

/** Body of `PATCH /gateways/{id}`. */
const GatewayUpdateWire = fromWireKeys({
  name: Schema.optionalKey(Name),
  url: Schema.optionalKey(GatewayUrl),
  workspaceRoot: Schema.optionalKey(trimmedText(limits.path)),
  token: OptionalToken,
  allowInsecureTls: Schema.optionalKey(Schema.Boolean),
  disableDevicePairing: Schema.optionalKey(Schema.Boolean)
}, gatewayWireNames)
/** The domain input of the body. */
export const GatewayUpdate = GatewayUpdateWire.schema
export type GatewayUpdate = typeof GatewayUpdate.Type
/** The body on the wire. */
export const GatewayUpdateBody = GatewayUpdateWire.body
export type GatewayUpdateBody = typeof GatewayUpdateBody.Type
/** The domain input of a decoded body. */
export const toGatewayUpdate = GatewayUpdateWire.fromBody

/** Naive ISO-8601 in UTC, as the reference renders datetimes: `2026-02-12T09:30:00.123000`. */
export const formatTimestamp = (value: DateTime.Utc): string => {
  const iso = new Date(DateTime.toEpochMillis(value)).toISOString() // 2026-02-12T09:30:00.123Z
  const millis = iso.slice(20, 23)
  return millis === "000" ? iso.slice(0, 19) : `${iso.slice(0, 19)}.${millis}000`
}

const nullableTimestamp = (value: DateTime.Utc | null): string | null => value === null ? null : formatTimestamp(value)

/** `AgentRead` of the reference API. */
export const AgentRead = Schema.Struct({
  id: AgentId,
  board_id: Schema.NullOr(BoardId),
  gateway_id: GatewayId,
  name: Schema.String,
  status: Schema.String,
  heartbeat_config: Schema.NullOr(JsonObject),
  identity_profile: Schema.NullOr(Schema.Record(Schema.String, Schema.String)),
  identity_template: Schema.NullOr(Schema.String),
  soul_template: Schema.NullOr(Schema.String),
  is_board_lead: Schema.Boolean,
  is_gateway_main: Schema.Boolean,
  openclaw_session_id: Schema.NullOr(Schema.String),
  last_provision_error: Schema.NullOr(Schema.String),
  last_seen_at: Schema.NullOr(Schema.String),
  last_heartbeat_at: Schema.NullOr(Schema.String),
  wake_attempts: Schema.Int.annotate({ description: "Wakeups sent since the agent last checked in." }),
  last_wake_sent_at: Schema.NullOr(Schema.String),
  checkin_deadline_at: Schema.NullOr(Schema.String).annotate({
    description: "When the woken agent must have checked in by; null when no check-in is awaited."
  }),
  created_at: Schema.String,
  updated_at: Schema.String
})
export type AgentRead = typeof AgentRead.Type

/** The API view of an agent, with its status computed at `now`. Token digests never leave the core. */
export const toAgentRead = (agent: Agent, now: DateTime.Utc): AgentRead => ({
  id: agent.id,
  board_id: agent.boardId,
  gateway_id: agent.gatewayId,
  name: agent.name,
  status: computedStatus(agent, now),
  heartbeat_config: agent.heartbeatConfig,
  identity_profile: agent.identityProfile,
  identity_template: agent.identityTemplate,
  soul_template: agent.soulTemplate,
  is_board_lead: agent.isBoardLead,
  is_gateway_main: agent.boardId === null,
  openclaw_session_id: agent.openclawSessionId,
  last_provision_error: agent.lastProvisionError,
  last_seen_at: nullableTimestamp(agent.lastSeenAt),
  last_heartbeat_at: nullableTimestamp(agent.lastHeartbeatAt),
  wake_attempts: agent.wakeAttempts,
  last_wake_sent_at: nullableTimestamp(agent.lastWakeSentAt),
  checkin_deadline_at: nullableTimestamp(agent.checkinDeadlineAt),
  created_at: formatTimestamp(agent.createdAt),
  updated_at: formatTimestamp(agent.updatedAt)
})

/**
 * `GatewayRead` of the reference API, without the token: a gateway token is write-only. Anyone who reads it can drive
 * the gateway, including other organizations' agents on a shared gateway, so reads only say whether one is set
 * (`has_token`), as the reference's later versions redact it.
 */
export const GatewayRead = Schema.Struct({
  id: GatewayId,
  organization_id: OrganizationId,
  name: Schema.String,
  url: Schema.String,
  workspace_root: Schema.String,
  has_token: Schema.Boolean.annotate({ description: "Whether a token is set; the token itself is write-only." }),
  allow_insecure_tls: Schema.Boolean,
  disable_device_pairing: Schema.Boolean,
  created_at: Schema.String,
  updated_at: Schema.String
})
export type GatewayRead = typeof GatewayRead.Type

/** The API view of a gateway. */
export const toGatewayRead = (gateway: Gateway): GatewayRead => ({
  id: gateway.id,
  organization_id: gateway.organizationId,
  name: gateway.name,
  url: gateway.url,
  workspace_root: gateway.workspaceRoot,
  has_token: gateway.token !== null,
  allow_insecure_tls: gateway.allowInsecureTls,
  disable_device_pairing: gateway.disableDevicePairing,
  created_at: formatTimestamp(gateway.createdAt),
  updated_at: formatTimestamp(gateway.updatedAt)
})

/** `AgentHealthStatusResponse` of the reference: the caller of `GET /agent/healthz`, as its token names it. */
export const AgentHealthStatus = Schema.Struct({
  ok: Schema.Literal(true),
  agent_id: AgentId,
  board_id: Schema.NullOr(BoardId),
  gateway_id: GatewayId,
  status: Schema.String,
  is_board_lead: Schema.Boolean
})
export type AgentHealthStatus = typeof AgentHealthStatus.Type

/** The health answer of an authenticated agent (its stored status, as the reference answers). */
export const toAgentHealthStatus = (agent: Agent): AgentHealthStatus => ({
  ok: true,
  agent_id: agent.id,
  board_id: agent.boardId,
  gateway_id: agent.gatewayId,
  status: agent.status,
  is_board_lead: agent.isBoardLead
})

/** One per-agent problem of a template sync. */
export const SyncError = Schema.Struct({
  agent_id: Schema.NullOr(AgentId),
  agent_name: Schema.NullOr(Schema.String),
  board_id: Schema.NullOr(BoardId),
  message: Schema.String
})
export type SyncError = typeof SyncError.Type

/** `GatewayTemplatesSyncResult` of the reference API, plus the workspace files the gateway refused. */
export const SyncResult = Schema.Struct({
  gateway_id: GatewayId,
  include_main: Schema.Boolean,
  reset_sessions: Schema.Boolean,
  agents_updated: Schema.Int,
  agents_skipped: Schema.Int,
  main_updated: Schema.Boolean,
  errors: Schema.Array(SyncError),
  unsupported_files: Schema.Array(Schema.String)
})
export type SyncResult = typeof SyncResult.Type

const toSyncError = (problem: TemplateSyncProblem): SyncError => ({
  agent_id: problem.agentId,
  agent_name: problem.agentName,
  board_id: problem.boardId,
  message: problem.message
})

/** The API view of a template sync. */
export const toSyncResult = (summary: TemplateSyncSummary): SyncResult => ({
  gateway_id: summary.gatewayId,
  include_main: summary.includeMain,
  reset_sessions: summary.resetSessions,
  agents_updated: summary.agentsUpdated,
  agents_skipped: summary.agentsSkipped,
  main_updated: summary.mainUpdated,
  errors: summary.errors.map(toSyncError),
  unsupported_files: summary.unsupportedFiles
})

/** A progress frame of the streaming template sync: one agent done, the `index`-th of `total` (from 1). */
export const SyncProgress = Schema.Struct({
  type: Schema.Literal("agent"),
  agent_id: AgentId,
  agent_name: Schema.String,
  board_id: Schema.NullOr(BoardId),
  outcome: Schema.Literals(["updated", "skipped", "failed"]),
  message: Schema.NullOr(Schema.String),
  index: Schema.Int,
  total: Schema.Int
})
export type SyncProgress = typeof SyncProgress.Type

/** The API view of one agent's progress in a template sync. */
export const toSyncProgress = (event: SyncAgentProgress): SyncProgress => ({
  type: "agent",
  agent_id: event.agentId,
  agent_name: event.agentName,
  board_id: event.boardId,
  outcome: event.outcome,
  message: event.message,
  index: event.index,
  total: event.total
})

/** `{"ok": true}`. */
export const OkResponse = Schema.Struct({ ok: Schema.Literal(true) })
export type OkResponse = typeof OkResponse.Type

/** A page of items as the reference paginates: `{items, total, limit, offset}`. */
export const PageOf = <A, I>(item: Schema.Codec<A, I>) =>
  Schema.Struct({ items: Schema.Array(item), total: Schema.Int, limit: Schema.Int, offset: Schema.Int })
