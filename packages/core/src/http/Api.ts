import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { BoardId, GatewayId } from "../domain/ids.js"
import {
  AgentCreateBody,
  AgentHealthStatus,
  AgentHeartbeatBody,
  AgentHeartbeatCreateBody,
  AgentRead,
  AgentUpdateBody,
  GatewayCreateBody,
  GatewayRead,
  GatewayUpdateBody,
  OkResponse,
  PageOf,
  SyncProgress,
  SyncResult
} from "../domain/wire.js"
import { defaultPage, flag, optionalBody, pagination } from "./endpointFields.js"
import { uuidOf } from "./fields.js"
import { AgentAdoptionGroup } from "./groups/agentAdoption.js"
import { AgentCoordinationGroup } from "./groups/agentCoordination.js"
import { AgentBoardsGroup, BoardsGroup } from "./groups/boards.js"
import { GatewaySessionsGroup } from "./groups/gatewaySessions.js"
import { HealthGroup } from "./groups/health.js"
import { ReconcileGroup } from "./groups/reconcile.js"
export { HealthStatus, probePaths } from "./groups/health.js"
import { ActorAuthentication, AgentAuthentication, RequestEnvelope, UserAuthentication } from "./middleware.js"
import { ValidationOrder } from "./validation.js"

// The reference's routes under `/api/v1`, in its field names. Ids the reference declares as `str` in a path
// (`agent_id`, `board_id`) stay strings (unknown or malformed: 404); ids it declares as `UUID` (`gateway_id`, and
// every id in a query) are parsed (malformed: 422 `uuid_parsing`).

/** The template sync's flags when the query leaves them out. */
export const defaultSyncFlags = {
  include_main: true,
  reset_sessions: false,
  rotate_tokens: false,
  force_bootstrap: false,
  lead_only: false,
  overwrite: false
} as const

const AgentPage = PageOf(AgentRead)
const GatewayPage = PageOf(GatewayRead)

const agentPath = { agent_id: Schema.String }
const boardAgentPath = { board_id: Schema.String, agent_id: Schema.String }
const gatewayPath = { gateway_id: uuidOf(GatewayId) }

/** `event: agent`, `id: <change sequence>`, `data: {"agent": AgentRead}`. */
export const AgentSseEvent = Schema.Struct({
  event: Schema.Literal("agent"),
  id: Schema.String,
  data: Schema.fromJsonString(Schema.Struct({ agent: AgentRead }))
})

/** A template sync's frames: `progress` per agent (with its index and the total), then one `result`. */
export const SyncSseEvent = Schema.Union([
  Schema.Struct({ event: Schema.Literal("progress"), data: Schema.fromJsonString(SyncProgress) }),
  Schema.Struct({ event: Schema.Literal("result"), data: Schema.fromJsonString(SyncResult) })
])

/** The routes agents call with their own token (`X-Agent-Token`, or `Authorization: Bearer`). */
export class AgentTokenGroup extends HttpApiGroup.make("agent")
  .add(
    // A liveness probe that also checks the caller's token.
    HttpApiEndpoint.get("healthz", "/agent/healthz", { success: AgentHealthStatus }),
    HttpApiEndpoint.get("listAgents", "/agent/agents", {
      query: { ...pagination, board_id: Schema.optional(uuidOf(BoardId)) },
      success: AgentPage
    }),
    HttpApiEndpoint.post("createAgent", "/agent/agents", { payload: AgentCreateBody, success: AgentRead }),
    // The token says who is calling: the body (the reference's, with its `name`) may be left out.
    HttpApiEndpoint.post("heartbeat", "/agent/heartbeat", {
      payload: optionalBody(AgentHeartbeatCreateBody),
      success: AgentRead
    }),
    HttpApiEndpoint.delete("deleteBoardAgent", "/agent/boards/:board_id/agents/:agent_id", {
      params: boardAgentPath,
      success: OkResponse
    })
  )
  .middleware(AgentAuthentication)
  .annotate(OpenApi.Description, "Called by agents with their agent token.")
{}

/** Agents, for users (org admins); heartbeats and creates also for agents. */
export class AgentsGroup extends HttpApiGroup.make("agents")
  .add(
    HttpApiEndpoint.get("list", "/agents", {
      query: {
        ...pagination,
        board_id: Schema.optional(uuidOf(BoardId)),
        gateway_id: Schema.optional(uuidOf(GatewayId))
      },
      success: AgentPage
    }).middleware(UserAuthentication),
    HttpApiEndpoint.get("stream", "/agents/stream", {
      query: { board_id: Schema.optional(uuidOf(BoardId)), since: Schema.optional(Schema.String) },
      headers: { "last-event-id": Schema.optional(Schema.String) },
      success: HttpApiSchema.StreamSse({ events: AgentSseEvent })
    }).middleware(UserAuthentication),
    HttpApiEndpoint.post("heartbeatOrCreate", "/agents/heartbeat", {
      payload: AgentHeartbeatCreateBody,
      success: AgentRead
    }).middleware(ActorAuthentication),
    HttpApiEndpoint.post("create", "/agents", { payload: AgentCreateBody, success: AgentRead }).middleware(
      ActorAuthentication
    ),
    HttpApiEndpoint.get("get", "/agents/:agent_id", { params: agentPath, success: AgentRead }).middleware(
      UserAuthentication
    ),
    HttpApiEndpoint.patch("update", "/agents/:agent_id", {
      params: agentPath,
      query: { force: flag(false) },
      payload: optionalBody(AgentUpdateBody),
      success: AgentRead
    }).middleware(UserAuthentication),
    HttpApiEndpoint.post("heartbeat", "/agents/:agent_id/heartbeat", {
      params: agentPath,
      payload: optionalBody(AgentHeartbeatBody),
      success: AgentRead
    }).middleware(ActorAuthentication),
    HttpApiEndpoint.delete("delete", "/agents/:agent_id", { params: agentPath, success: OkResponse }).middleware(
      UserAuthentication
    )
  )
{}

/** Gateways, for org admins. */
export class GatewaysGroup extends HttpApiGroup.make("gateways")
  .add(
    HttpApiEndpoint.get("list", "/gateways", { query: pagination, success: GatewayPage }),
    HttpApiEndpoint.post("create", "/gateways", { payload: GatewayCreateBody, success: GatewayRead }),
    HttpApiEndpoint.get("get", "/gateways/:gateway_id", { params: gatewayPath, success: GatewayRead }),
    HttpApiEndpoint.patch("update", "/gateways/:gateway_id", {
      params: gatewayPath,
      payload: optionalBody(GatewayUpdateBody),
      success: GatewayRead
    }),
    HttpApiEndpoint.delete("delete", "/gateways/:gateway_id", { params: gatewayPath, success: OkResponse }),
    HttpApiEndpoint.post("syncTemplates", "/gateways/:gateway_id/templates/sync", {
      params: gatewayPath,
      query: {
        include_main: flag(defaultSyncFlags.include_main),
        reset_sessions: flag(defaultSyncFlags.reset_sessions),
        rotate_tokens: flag(defaultSyncFlags.rotate_tokens),
        force_bootstrap: flag(defaultSyncFlags.force_bootstrap),
        lead_only: flag(defaultSyncFlags.lead_only),
        overwrite: flag(defaultSyncFlags.overwrite),
        board_id: Schema.optional(uuidOf(BoardId))
      },
      headers: { accept: Schema.optional(Schema.String) },
      // JSON by default; `Accept: text/event-stream` streams the sync's progress, then its result.
      success: [SyncResult, HttpApiSchema.StreamSse({ events: SyncSseEvent })]
    }).annotate(ValidationOrder, ["query", "path", "header", "body"]) // the reference's flags are a dependency's
  )
  .middleware(UserAuthentication)
{}

/** The Mission Control HTTP API: the reference's routes, mounted under `/api/v1`. */
export class MissionControlApi extends HttpApi.make("mission-control")
  .add(
    AgentTokenGroup,
    AgentCoordinationGroup,
    AgentBoardsGroup,
    AgentsGroup,
    BoardsGroup,
    GatewaysGroup,
    GatewaySessionsGroup,
    ReconcileGroup,
    AgentAdoptionGroup
  )
  .middleware(RequestEnvelope)
  .prefix("/api/v1")
  .add(HealthGroup)
  .annotate(HttpApi.PayloadParseOptions, { errors: "all", onExcessProperty: "ignore" })
  .annotate(HttpApi.QueryParseOptions, { errors: "all", onExcessProperty: "ignore" })
  .annotate(HttpApi.ParamsParseOptions, { errors: "all" })
  .annotateMerge(OpenApi.annotations({
    title: "Mission Control",
    version: "0.1.0",
    description: "Mission control for fleets of OpenClaw agents: the reference API's routes, bodies and errors."
  }))
{}

export {
  AgentAdoptionGroup,
  AgentLinkBody,
  GatewayAgentDiscovery,
  toAgentLink,
  toGatewayAgentDiscovery
} from "./groups/agentAdoption.js"
export { AgentBoardsGroup, BoardsGroup, LeadRequest, LeadResult } from "./groups/boards.js"
export { defaultPage }

/** The prefix every route of the API is under. */
export const apiPrefix = "/api/v1"

/** Where the OpenAPI document is served. */
export const openApiPath = `${apiPrefix}/openapi.json` as const
