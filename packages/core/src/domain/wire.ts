import { DateTime, Redacted, Schema } from "effect"
import { computedStatus } from "./identity.js"
import { AgentId, BoardId, GatewayId } from "./ids.js"
import type { Agent, Gateway } from "./models.js"
import { JsonObject } from "./models.js"

// Wire shapes keep the reference API's snake_case field names, so its HTTP clients work unchanged.

const TrimmedNonEmpty = Schema.Trim.pipe(Schema.minLength(1))

/** Body of `POST /agents`. */
export const AgentCreate = Schema.Struct({
  boardId: Schema.optionalWith(Schema.NullOr(BoardId), { default: () => null }).pipe(Schema.fromKey("board_id")),
  name: TrimmedNonEmpty,
  status: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => "provisioning" }),
  heartbeatConfig: Schema.optionalWith(Schema.NullOr(JsonObject), { default: () => null }).pipe(
    Schema.fromKey("heartbeat_config")
  ),
  identityProfile: Schema.optionalWith(Schema.Unknown, { default: () => null }).pipe(Schema.fromKey("identity_profile")),
  identityTemplate: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }).pipe(
    Schema.fromKey("identity_template")
  ),
  soulTemplate: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }).pipe(
    Schema.fromKey("soul_template")
  )
})
export type AgentCreate = typeof AgentCreate.Type

/** Body of `PATCH /agents/{id}`: only the fields present are applied. */
export const AgentUpdate = Schema.Struct({
  boardId: Schema.optionalWith(Schema.NullOr(BoardId), { exact: true }).pipe(Schema.fromKey("board_id")),
  isGatewayMain: Schema.optionalWith(Schema.NullOr(Schema.Boolean), { exact: true }).pipe(
    Schema.fromKey("is_gateway_main")
  ),
  name: Schema.optionalWith(TrimmedNonEmpty, { exact: true }),
  status: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  heartbeatConfig: Schema.optionalWith(Schema.NullOr(JsonObject), { exact: true }).pipe(
    Schema.fromKey("heartbeat_config")
  ),
  identityProfile: Schema.optionalWith(Schema.Unknown, { exact: true }).pipe(Schema.fromKey("identity_profile")),
  identityTemplate: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }).pipe(
    Schema.fromKey("identity_template")
  ),
  soulTemplate: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }).pipe(
    Schema.fromKey("soul_template")
  )
})
export type AgentUpdate = typeof AgentUpdate.Type

/** Body of `POST /agents/{id}/heartbeat`. */
export const AgentHeartbeat = Schema.Struct({
  status: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
})
export type AgentHeartbeat = typeof AgentHeartbeat.Type

/** Body of `POST /agents/heartbeat` and `POST /agent/heartbeat`. */
export const AgentHeartbeatCreate = Schema.Struct({
  status: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  name: TrimmedNonEmpty,
  boardId: Schema.optionalWith(Schema.NullOr(BoardId), { default: () => null }).pipe(Schema.fromKey("board_id"))
})
export type AgentHeartbeatCreate = typeof AgentHeartbeatCreate.Type

const OptionalToken = Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true })

/** A gateway's WebSocket URL: `ws://` or `wss://`, parseable. */
export const GatewayUrl = TrimmedNonEmpty.pipe(
  Schema.filter((text) => {
    try {
      const url = new URL(text)
      return url.protocol === "ws:" || url.protocol === "wss:"
    } catch {
      return false
    }
  }, { message: () => "Expected a ws:// or wss:// URL" })
)

/** Body of `POST /gateways`. */
export const GatewayCreate = Schema.Struct({
  name: TrimmedNonEmpty,
  url: GatewayUrl,
  workspaceRoot: TrimmedNonEmpty.pipe(Schema.propertySignature, Schema.fromKey("workspace_root")),
  token: OptionalToken
})
export type GatewayCreate = typeof GatewayCreate.Type

/** Body of `PATCH /gateways/{id}`. */
export const GatewayUpdate = Schema.Struct({
  name: Schema.optionalWith(TrimmedNonEmpty, { exact: true }),
  url: Schema.optionalWith(GatewayUrl, { exact: true }),
  workspaceRoot: Schema.optionalWith(TrimmedNonEmpty, { exact: true }).pipe(Schema.fromKey("workspace_root")),
  token: OptionalToken
})
export type GatewayUpdate = typeof GatewayUpdate.Type

/** Naive ISO-8601 in UTC, as the reference renders datetimes: `2026-02-12T09:30:00.123000`. */
export const formatTimestamp = (value: DateTime.Utc): string => {
  const iso = new Date(DateTime.toEpochMillis(value)).toISOString() // 2026-02-12T09:30:00.123Z
  const millis = iso.slice(20, 23)
  return millis === "000" ? iso.slice(0, 19) : `${iso.slice(0, 19)}.${millis}000`
}

const nullableTimestamp = (value: DateTime.Utc | null): string | null => value === null ? null : formatTimestamp(value)

/** `AgentRead` of the reference API. */
export const AgentRead = Schema.Struct({
  id: Schema.UUID,
  board_id: Schema.NullOr(Schema.UUID),
  gateway_id: Schema.UUID,
  name: Schema.String,
  status: Schema.String,
  heartbeat_config: Schema.NullOr(JsonObject),
  identity_profile: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.String })),
  identity_template: Schema.NullOr(Schema.String),
  soul_template: Schema.NullOr(Schema.String),
  is_board_lead: Schema.Boolean,
  is_gateway_main: Schema.Boolean,
  openclaw_session_id: Schema.NullOr(Schema.String),
  last_provision_error: Schema.NullOr(Schema.String),
  last_seen_at: Schema.NullOr(Schema.String),
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
  created_at: formatTimestamp(agent.createdAt),
  updated_at: formatTimestamp(agent.updatedAt)
})

/** `GatewayRead` of the reference API (the token is shown to the organization's admins, as upstream does). */
export const GatewayRead = Schema.Struct({
  id: Schema.UUID,
  organization_id: Schema.UUID,
  name: Schema.String,
  url: Schema.String,
  workspace_root: Schema.String,
  token: Schema.NullOr(Schema.String),
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
  token: gateway.token === null ? null : Redacted.value(gateway.token),
  created_at: formatTimestamp(gateway.createdAt),
  updated_at: formatTimestamp(gateway.updatedAt)
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
  agents_updated: Schema.Number,
  agents_skipped: Schema.Number,
  main_updated: Schema.Boolean,
  errors: Schema.Array(SyncError),
  unsupported_files: Schema.Array(Schema.String)
})
export type SyncResult = typeof SyncResult.Type

/** `{"ok": true}`. */
export const OkResponse = Schema.Struct({ ok: Schema.Literal(true) })
export type OkResponse = typeof OkResponse.Type

/** A page of items as the reference paginates: `{items, total, limit, offset}`. */
export const PageOf = <A, I>(item: Schema.Schema<A, I>) =>
  Schema.Struct({ items: Schema.Array(item), total: Schema.Number, limit: Schema.Number, offset: Schema.Number })

/** A page as returned by the programs. */
export interface PageResult<A> {
  readonly items: ReadonlyArray<A>
  readonly total: number
  readonly limit: number
  readonly offset: number
}

/** Pagination query: `limit` 1..200 (default 200), `offset` ≥ 0 (default 0). */
export const Pagination = Schema.Struct({
  limit: Schema.optionalWith(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 200)), {
    default: () => 200
  }),
  offset: Schema.optionalWith(Schema.NumberFromString.pipe(Schema.int(), Schema.greaterThanOrEqualTo(0)), {
    default: () => 0
  })
})
export type Pagination = typeof Pagination.Type
