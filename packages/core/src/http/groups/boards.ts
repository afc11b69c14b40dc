import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import {
  BoardCreateBody,
  BoardMemoryCreateBody,
  BoardMemoryRead,
  BoardRead,
  BoardUpdateBody
} from "../../domain/boardWire.js"
import { GatewayId } from "../../domain/ids.js"
import { AgentRead, OkResponse, PageOf } from "../../domain/wire.js"
import { optionalBody, pagination } from "../endpointFields.js"
import { BooleanFromQuery, Uuid, uuidOf } from "../fields.js"
import { ActorAuthentication, AgentAuthentication, UserAuthentication } from "../middleware.js"

/** The body of `POST /boards/{board_id}/lead`. */
export const LeadRequest = Schema.Struct({
  agent_name: Schema.optional(Schema.NullOr(Schema.String)),
  identity_profile: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Schema.String)))
})

/** The answer of `POST /boards/{board_id}/lead`: the lead, and whether this call created it. */
export const LeadResult = Schema.Struct({ agent: AgentRead, created: Schema.Boolean })

const BoardPage = PageOf(BoardRead)
const BoardMemoryPage = PageOf(BoardMemoryRead)

// `board_id` is a string in the reference's paths: unknown or malformed is 404.
const boardPath = { board_id: Schema.String }
const memoryQuery = { ...pagination, is_chat: Schema.optional(BooleanFromQuery) }

/** Boards: their CRUD for users, their lead, and their memory (with the board chat's `/pause` and `/resume`). */
export class BoardsGroup extends HttpApiGroup.make("boards")
  .add(
    HttpApiEndpoint.get("list", "/boards", {
      query: {
        ...pagination,
        gateway_id: Schema.optional(uuidOf(GatewayId)),
        board_group_id: Schema.optional(Uuid)
      },
      success: BoardPage
    }).middleware(UserAuthentication),
    HttpApiEndpoint.post("create", "/boards", { payload: BoardCreateBody, success: BoardRead }).middleware(
      UserAuthentication
    ),
    HttpApiEndpoint.get("get", "/boards/:board_id", { params: boardPath, success: BoardRead }).middleware(
      UserAuthentication
    ),
    HttpApiEndpoint.patch("update", "/boards/:board_id", {
      params: boardPath,
      payload: BoardUpdateBody,
      success: BoardRead
    }).middleware(UserAuthentication),
    HttpApiEndpoint.delete("delete", "/boards/:board_id", { params: boardPath, success: OkResponse }).middleware(
      UserAuthentication
    ),
    HttpApiEndpoint.post("ensureLead", "/boards/:board_id/lead", {
      params: boardPath,
      payload: optionalBody(LeadRequest),
      success: LeadResult
    }).middleware(ActorAuthentication),
    HttpApiEndpoint.get("listMemory", "/boards/:board_id/memory", {
      params: boardPath,
      query: memoryQuery,
      success: BoardMemoryPage
    }).middleware(ActorAuthentication),
    HttpApiEndpoint.post("createMemory", "/boards/:board_id/memory", {
      params: boardPath,
      payload: BoardMemoryCreateBody,
      success: BoardMemoryRead
    }).middleware(ActorAuthentication)
  )
{}

/** Boards as agents read them with their token (`/agent/boards`), and their memory. */
export class AgentBoardsGroup extends HttpApiGroup.make("agentBoards")
  .add(
    HttpApiEndpoint.get("list", "/agent/boards", { query: pagination, success: BoardPage }),
    HttpApiEndpoint.get("get", "/agent/boards/:board_id", { params: boardPath, success: BoardRead }),
    HttpApiEndpoint.get("listMemory", "/agent/boards/:board_id/memory", {
      params: boardPath,
      query: memoryQuery,
      success: BoardMemoryPage
    }),
    HttpApiEndpoint.post("createMemory", "/agent/boards/:board_id/memory", {
      params: boardPath,
      payload: BoardMemoryCreateBody,
      success: BoardMemoryRead
    })
  )
  .middleware(AgentAuthentication)
  .annotate(OpenApi.Description, "Called by agents with their agent token.")
{}
