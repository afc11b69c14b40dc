import { Schema } from "effect"
import type { GatewayCommands, GatewaySessionList, GatewayStatus } from "../programs/gatewaySessions.js"
import { limits } from "./limits.js"
import { trimmedText } from "./wireFields.js"

// The gateway operator routes' bodies, in the reference's field names. Sessions and messages are the gateway's own
// objects, passed through as it describes them.

/** Body of `POST /gateways/sessions/{session_id}/message`: `content`, trimmed, not blank. */
export const GatewaySessionMessageRequest = Schema.Struct({ content: trimmedText(limits.template) })
export type GatewaySessionMessageRequest = typeof GatewaySessionMessageRequest.Type

/** `GatewaysStatusResponse`: every field present, `null` where the reference leaves it unset. */
export const GatewaysStatusResponse = Schema.Struct({
  connected: Schema.Boolean,
  gateway_url: Schema.String,
  sessions_count: Schema.NullOr(Schema.Number),
  sessions: Schema.NullOr(Schema.Array(Schema.Unknown)),
  main_session: Schema.NullOr(Schema.Unknown),
  main_session_error: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String)
})
export type GatewaysStatusResponse = typeof GatewaysStatusResponse.Type

/** `GatewaySessionsResponse`. */
export const GatewaySessionsResponse = Schema.Struct({
  sessions: Schema.Array(Schema.Unknown),
  main_session: Schema.NullOr(Schema.Unknown)
})
export type GatewaySessionsResponse = typeof GatewaySessionsResponse.Type

/** `GatewaySessionResponse`. */
export const GatewaySessionResponse = Schema.Struct({ session: Schema.Unknown })

/** `GatewaySessionHistoryResponse`. */
export const GatewaySessionHistoryResponse = Schema.Struct({ history: Schema.Array(Schema.Unknown) })

/** `GatewayCommandsResponse`. */
export const GatewayCommandsResponse = Schema.Struct({
  protocol_version: Schema.Number,
  methods: Schema.Array(Schema.String),
  events: Schema.Array(Schema.String)
})

/** A gateway's status on the wire. */
export const toGatewaysStatusResponse = (status: GatewayStatus): GatewaysStatusResponse => ({
  connected: status.connected,
  gateway_url: status.gatewayUrl,
  sessions_count: status.sessions === null ? null : status.sessions.length,
  sessions: status.sessions,
  main_session: status.mainSession,
  main_session_error: status.mainSessionError,
  error: status.error
})

/** A gateway's sessions on the wire. */
export const toGatewaySessionsResponse = (list: GatewaySessionList): GatewaySessionsResponse => ({
  sessions: list.sessions,
  main_session: list.mainSession
})

/** A gateway's command catalog on the wire. */
export const toGatewayCommandsResponse = (catalog: GatewayCommands): typeof GatewayCommandsResponse.Type => ({
  protocol_version: catalog.protocol,
  methods: catalog.methods,
  events: catalog.events
})
