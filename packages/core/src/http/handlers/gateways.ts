import { Effect, Stream } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import {
  createGateway,
  deleteGateway,
  getGateway,
  listGateways,
  syncGatewayTemplatesAsAdmin,
  syncGatewayTemplatesAsAdminStream,
  toGatewayCreate,
  toGatewayRead,
  toGatewayUpdate,
  toSyncProgress,
  toSyncResult,
  updateGateway
} from "../../index.js"
import type { MissionControlServices, SyncEvent } from "../../index.js"
import { defaultSyncFlags, MissionControlApi } from "../Api.js"
import { CurrentUser } from "../middleware.js"
import { sseFrame, sseResponse } from "../sse.js"
import { gatewayPageView, ok, pageOf, respond } from "../views.js"

const syncFrame = (event: SyncEvent): string =>
  event.type === "result"
    ? sseFrame("result", JSON.stringify(toSyncResult(event.summary)))
    : sseFrame("progress", JSON.stringify(toSyncProgress(event)))

/** Gateways, for org admins. */
export const GatewaysHandlers = HttpApiBuilder.group(MissionControlApi, "gateways", (handlers) =>
  handlers
    .handle("list", ({ query }) =>
      respond(Effect.map(
        Effect.flatMap(Effect.service(CurrentUser), (user) => listGateways(user, pageOf(query))),
        gatewayPageView
      )))
    .handle("create", ({ payload }) =>
      respond(Effect.map(
        Effect.flatMap(Effect.service(CurrentUser), (user) => createGateway(user, toGatewayCreate(payload))),
        toGatewayRead
      )))
    .handle("get", ({ params }) =>
      respond(
        Effect.map(
          Effect.flatMap(Effect.service(CurrentUser), (user) => getGateway(user, params.gateway_id)),
          toGatewayRead
        )
      ))
    .handle("update", ({ params, payload }) =>
      respond(
        Effect.map(
          Effect.flatMap(
            Effect.service(CurrentUser),
            (user) => updateGateway(user, params.gateway_id, toGatewayUpdate(payload ?? {}))
          ),
          toGatewayRead
        )
      ))
    .handle("delete", ({ params }) =>
      respond(Effect.as(
        Effect.flatMap(Effect.service(CurrentUser), (user) => deleteGateway(user, params.gateway_id)),
        ok
      )))
    .handle("syncTemplates", ({ params, query, headers }) =>
      respond(Effect.gen(function*() {
        const user = yield* CurrentUser
        const options = {
          includeMain: query.include_main ?? defaultSyncFlags.include_main,
          resetSessions: query.reset_sessions ?? defaultSyncFlags.reset_sessions,
          rotateTokens: query.rotate_tokens ?? defaultSyncFlags.rotate_tokens,
          forceBootstrap: query.force_bootstrap ?? defaultSyncFlags.force_bootstrap,
          leadOnly: query.lead_only ?? defaultSyncFlags.lead_only,
          overwrite: query.overwrite ?? defaultSyncFlags.overwrite,
          boardId: query.board_id ?? null
        }
        if ((headers.accept ?? "").includes("text/event-stream")) {
          const events = yield* syncGatewayTemplatesAsAdminStream(user, params.gateway_id, options)
          const services = yield* Effect.context<MissionControlServices>()
          return yield* sseResponse(Stream.provideContext(Stream.map(events, syncFrame), services))
        }
        return toSyncResult(yield* syncGatewayTemplatesAsAdmin(user, params.gateway_id, options))
      }))))
