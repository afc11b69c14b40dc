import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import {
  GatewayCommandsResponse,
  GatewaySessionHistoryResponse,
  GatewaySessionMessageRequest,
  GatewaySessionResponse,
  GatewaySessionsResponse,
  GatewaysStatusResponse
} from "../../domain/gatewaySessionWire.js"
import { OkResponse } from "../../domain/wire.js"
import { BooleanFromQuery } from "../fields.js"
import { UserAuthentication } from "../middleware.js"

// `board_id` is a string here, as the reference declares it (malformed: no such board, 404). Session keys
// (`agent:<id>:main`) are path segments; clients percent-encode their colons or not.
const boardQuery = { board_id: Schema.optional(Schema.String) }
const sessionPath = { session_id: Schema.String }

/** The gateway operator's routes (`/gateways/status`, sessions, commands), over the gateway client. Org admins. */
export class GatewaySessionsGroup extends HttpApiGroup.make("gatewaySessions")
  .add(
    HttpApiEndpoint.get("status", "/gateways/status", {
      query: {
        ...boardQuery,
        gateway_url: Schema.optional(Schema.String),
        gateway_token: Schema.optional(Schema.String),
        gateway_disable_device_pairing: Schema.optional(BooleanFromQuery),
        gateway_allow_insecure_tls: Schema.optional(BooleanFromQuery)
      },
      success: GatewaysStatusResponse
    }),
    HttpApiEndpoint.get("sessions", "/gateways/sessions", { query: boardQuery, success: GatewaySessionsResponse }),
    HttpApiEndpoint.get("session", "/gateways/sessions/:session_id", {
      params: sessionPath,
      query: boardQuery,
      success: GatewaySessionResponse
    }),
    HttpApiEndpoint.get("history", "/gateways/sessions/:session_id/history", {
      params: sessionPath,
      query: boardQuery,
      success: GatewaySessionHistoryResponse
    }),
    HttpApiEndpoint.post("message", "/gateways/sessions/:session_id/message", {
      params: sessionPath,
      query: boardQuery,
      payload: GatewaySessionMessageRequest,
      success: OkResponse
    }),
    HttpApiEndpoint.get("commands", "/gateways/commands", { query: boardQuery, success: GatewayCommandsResponse })
  )
  .middleware(UserAuthentication)
{}
