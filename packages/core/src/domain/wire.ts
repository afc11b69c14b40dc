import { DateTime, Effect, Schema, SchemaTransformation } from "effect"
import { computedStatus } from "./identity.js"
import { AgentId, BoardId, GatewayId } from "./ids.js"
import { boundedText, limits, noNulCharacter, withinJsonLimits } from "./limits.js"
import type { Agent, Gateway } from "./models.js"
import { JsonObject } from "./models.js"

// Wire shapes keep the reference API's snake_case field names, so its HTTP clients work unchanged.

const trimmedText = (maxLength: number) =>
  Schema.Trim.check(Schema.isMinLength(1), Schema.isMaxLength(maxLength), noNulCharacter)
const Name = trimmedText(limits.name)
const Status = Schema.NullOr(boundedText(limits.status))
const Template = Schema.NullOr(boundedText(limits.template))
const HeartbeatConfig = Schema.NullOr(JsonObject.check(withinJsonLimits))
const IdentityProfileInput = Schema.Unknown.check(withinJsonLimits)
const Uuid = Schema.String.check(Schema.isGUID())

type WireKeys<F extends Schema.Struct.Fields, M extends { readonly [K in keyof F]?: string }> = {
  readonly [K in keyof F as K extends keyof M ? M[K] extends string ? M[K] : K : K]: F[K]
}

const renameKeys = <A>(input: object, names: Readonly<Record<string, string>>): A => {
  const output: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) output[names[key] ?? key] = value
  return output as A
}

/**
 * A body schema whose decoded fields have the domain's names (`boardId`) while the wire, and every validation issue,
 * use the reference's (`board_id`). Every field is validated under its wire key in one pass, so a request gets one
 * issue per bad field, each at the path its client sent.
 */
const fromWireKeys = <
  const F extends Schema.Struct.Fields,
  const M extends { readonly [K in keyof F]?: string }
>(fields: F, wireNames: M) => {
  const wireFields: Record<string, F[keyof F]> = {}
  const toDomain: Record<string, string> = {}
  const toWire: Record<string, string> = {}
  for (const [key, field] of Object.entries(fields)) {
    const wireName: string = (wireNames as Readonly<Record<string, string | undefined>>)[key] ?? key
    wireFields[wireName] = field as F[keyof F]
    toDomain[wireName] = key
    toWire[key] = wireName
  }
  const domain = Schema.toType(Schema.Struct(fields))
  // The loop above builds exactly WireKeys<F, M>; TypeScript cannot follow a key renaming through a loop.
  return Schema.Struct(wireFields as unknown as WireKeys<F, M>).pipe(
    Schema.decodeTo(
      domain,
      SchemaTransformation.transform({
        decode: (wire) => renameKeys<typeof domain.Encoded>(wire, toDomain),
        encode: (value) => renameKeys<Schema.Struct<WireKeys<F, M>>["Type"]>(value, toWire)
      })
    )
  )
}

const withDefault = <S extends Schema.Top>(schema: S, value: S["Type"] & S["Encoded"]) =>
  schema.pipe(Schema.withDecodingDefault(Effect.succeed(value)))

/** Body of `POST /agents`. */
export const AgentCreate = fromWireKeys({
  boardId: withDefault(Schema.NullOr(BoardId), null),
  name: Name,
  status: withDefault(Status, "provisioning"),
  heartbeatConfig: withDefault(HeartbeatConfig, null),
  identityProfile: withDefault(IdentityProfileInput, null),
  identityTemplate: withDefault(Template, null),
  soulTemplate: withDefault(Template, null)
}, {
  boardId: "board_id",
  heartbeatConfig: "heartbeat_config",
  identityProfile: "identity_profile",
  identityTemplate: "identity_template",
  soulTemplate: "soul_template"
})
export type AgentCreate = typeof AgentCreate.Type

/** Body of `PATCH /agents/{id}`: only the fields present are applied. */
export const AgentUpdate = fromWireKeys({
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
export type AgentUpdate = typeof AgentUpdate.Type

/** Body of `POST /agents/{id}/heartbeat`. */
export const AgentHeartbeat = Schema.Struct({
  status: withDefault(Status, null)
})
export type AgentHeartbeat = typeof AgentHeartbeat.Type

/** Body of `POST /agents/heartbeat` and `POST /agent/heartbeat`. */
export const AgentHeartbeatCreate = fromWireKeys({
  status: withDefault(Status, null),
  name: Name,
  boardId: withDefault(Schema.NullOr(BoardId), null)
}, { boardId: "board_id" })
export type AgentHeartbeatCreate = typeof AgentHeartbeatCreate.Type

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

/** Body of `POST /gateways`. */
export const GatewayCreate = fromWireKeys({
  name: Name,
  url: GatewayUrl,
  workspaceRoot: trimmedText(limits.path),
  token: OptionalToken
}, { workspaceRoot: "workspace_root" })
export type GatewayCreate = typeof GatewayCreate.Type

/** Body of `PATCH /gateways/{id}`. */
export const GatewayUpdate = fromWireKeys({
  name: Schema.optionalKey(Name),
  url: Schema.optionalKey(GatewayUrl),
  workspaceRoot: Schema.optionalKey(trimmedText(limits.path)),
  token: OptionalToken
}, { workspaceRoot: "workspace_root" })
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
  id: Uuid,
  board_id: Schema.NullOr(Uuid),
  gateway_id: Uuid,
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

/**
 * `GatewayRead` of the reference API, without the token: a gateway token is write-only. Anyone who reads it can drive
 * the gateway, including other organizations' agents on a shared gateway, so reads only say whether one is set
 * (`has_token`), as the reference's later versions redact it.
 */
export const GatewayRead = Schema.Struct({
  id: Uuid,
  organization_id: Uuid,
  name: Schema.String,
  url: Schema.String,
  workspace_root: Schema.String,
  has_token: Schema.Boolean.annotate({ description: "Whether a token is set; the token itself is write-only." }),
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
  agents_updated: Schema.Int,
  agents_skipped: Schema.Int,
  main_updated: Schema.Boolean,
  errors: Schema.Array(SyncError),
  unsupported_files: Schema.Array(Schema.String)
})
export type SyncResult = typeof SyncResult.Type

/** `{"ok": true}`. */
export const OkResponse = Schema.Struct({ ok: Schema.Literal(true) })
export type OkResponse = typeof OkResponse.Type

/** A page of items as the reference paginates: `{items, total, limit, offset}`. */
export const PageOf = <A, I>(item: Schema.Codec<A, I>) =>
  Schema.Struct({ items: Schema.Array(item), total: Schema.Int, limit: Schema.Int, offset: Schema.Int })

/** A page as returned by the programs. */
export interface PageResult<A> {
  readonly items: ReadonlyArray<A>
  readonly total: number
  readonly limit: number
  readonly offset: number
}

// A query parameter holding a number; a blank one is an error, not zero (which `Number("")` would give).
const NumberFromQuery = Schema.String.check(
  Schema.makeFilter((text: string) => text.trim() !== "" || "Expected a number")
).pipe(Schema.decodeTo(Schema.Finite, SchemaTransformation.numberFromString))

/** Pagination query: `limit` 1..200 (default 200), `offset` ≥ 0 (default 0). */
export const Pagination = Schema.Struct({
  limit: NumberFromQuery.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 200 })).pipe(
    Schema.withDecodingDefaultType(Effect.succeed(200))
  ),
  offset: NumberFromQuery.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)).pipe(
    Schema.withDecodingDefaultType(Effect.succeed(0))
  )
})
export type Pagination = typeof Pagination.Type
