import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import {
  getGatewayCommands,
  getGatewaySession,
  getGatewaySessionHistory,
  getGatewayStatus,
  listGatewaySessions,
  sendGatewaySessionMessage,
  toGatewayCommandsResponse,
  toGatewaySessionsResponse,
  toGatewaysStatusResponse
} from "../../index.js"
import { MissionControlApi } from "../Api.js"
import { CurrentUser } from "../middleware.js"
import { ok, respond } from "../views.js"

/** The gateway operator's routes. */
export const GatewaySessionsHandlers = HttpApiBuilder.group(
  MissionControlApi,
  "gatewaySessions",
  (handlers) =>
    handlers
      .handle("status", ({ query }) =>
        respond(Effect.gen(function*() {
          const user = yield* CurrentUser
          const status = yield* getGatewayStatus(user, {
            boardId: query.board_id ?? null,
            gatewayUrl: query.gateway_url ?? null,
            gatewayToken: query.gateway_token ?? null,
            gatewayAllowInsecureTls: query.gateway_allow_insecure_tls ?? null,
            gatewayDisableDevicePairing: query.gateway_disable_device_pairing ?? null
          })
          return toGatewaysStatusResponse(status)
        })))
      .handle("sessions", ({ query }) =>
        respond(Effect.gen(function*() {
          const user = yield* CurrentUser
          return toGatewaySessionsResponse(yield* listGatewaySessions(user, query.board_id ?? null))
        })))
      .handle("session", ({ params, query }) =>
        respond(Effect.gen(function*() {
          const user = yield* CurrentUser
          return { session: yield* getGatewaySession(user, params.session_id, query.board_id ?? null) }
        })))
      .handle("history", ({ params, query }) =>
        respond(Effect.gen(function*() {
          const user = yield* CurrentUser
          return { history: yield* getGatewaySessionHistory(user, params.session_id, query.board_id ?? null) }
        })))
      .handle("message", ({ params, query, payload }) =>
        respond(Effect.gen(function*() {
          const user = yield* CurrentUser
          yield* sendGatewaySessionMessage(user, params.session_id, query.board_id ?? null, payload.content)
          return ok
        })))
      .handle("commands", ({ query }) =>
        respond(Effect.gen(function*() {
          const user = yield* CurrentUser
          return toGatewayCommandsResponse(yield* getGatewayCommands(user, query.board_id ?? null))
        })))
)
