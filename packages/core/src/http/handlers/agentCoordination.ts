import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import {
  toAgentNudge,
  toAskUser,
  toAskUserResponse,
  toLeadBroadcast,
  toLeadBroadcastResponse,
  toLeadMessage,
  toLeadMessageResponse,
  toSoulUpdate
} from "../../domain/coordinationWire.js"
import { AgentId, BoardId } from "../../domain/ids.js"
import {
  askUserViaGatewayMain,
  broadcastToLeads,
  messageBoardLead,
  nudgeBoardAgent,
  readAgentSoul,
  updateAgentSoul
} from "../../programs/coordination.js"
import { MissionControlApi } from "../Api.js"
import { CurrentAgent } from "../middleware.js"
import { ok, pathId, respond } from "../views.js"

const boardAgentIds = (params: { readonly board_id: string; readonly agent_id: string }) =>
  Effect.all([pathId(BoardId, params.board_id), pathId(AgentId, params.agent_id)])

/** Agents coordinating with their token. */
export const AgentCoordinationHandlers = HttpApiBuilder.group(
  MissionControlApi,
  "agentCoordination",
  (handlers) =>
    handlers
      .handle("nudgeAgent", ({ params, payload }) =>
        respond(Effect.gen(function*() {
          const [boardId, agentId] = yield* boardAgentIds(params)
          yield* nudgeBoardAgent(yield* CurrentAgent, boardId, agentId, toAgentNudge(payload))
          return ok
        })))
      .handle("getAgentSoul", ({ params }) =>
        respond(Effect.gen(function*() {
          const [boardId, agentId] = yield* boardAgentIds(params)
          return yield* readAgentSoul(yield* CurrentAgent, boardId, agentId)
        })))
      .handle("updateAgentSoul", ({ params, payload }) =>
        respond(Effect.gen(function*() {
          const [boardId, agentId] = yield* boardAgentIds(params)
          yield* updateAgentSoul(yield* CurrentAgent, boardId, agentId, toSoulUpdate(payload))
          return ok
        })))
      .handle("askUserViaGatewayMain", ({ params, payload }) =>
        respond(Effect.gen(function*() {
          const boardId = yield* pathId(BoardId, params.board_id)
          return toAskUserResponse(yield* askUserViaGatewayMain(yield* CurrentAgent, boardId, toAskUser(payload)))
        })))
      .handle("messageBoardLead", ({ params, payload }) =>
        respond(Effect.gen(function*() {
          const outcome = yield* messageBoardLead(yield* CurrentAgent, params.board_id, toLeadMessage(payload))
          return toLeadMessageResponse(outcome)
        })))
      .handle("broadcastLeadMessage", ({ payload }) =>
        respond(Effect.gen(function*() {
          return toLeadBroadcastResponse(yield* broadcastToLeads(yield* CurrentAgent, toLeadBroadcast(payload)))
        })))
)
