import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import {
  AgentNudgeBody,
  AskUserBody,
  AskUserResponse,
  LeadBroadcastBody,
  LeadBroadcastResponse,
  LeadMessageBody,
  LeadMessageResponse,
  SoulUpdateBody
} from "../../domain/coordinationWire.js"
import { BoardId } from "../../domain/ids.js"
import { OkResponse } from "../../domain/wire.js"
import { uuidOf } from "../fields.js"
import { AgentAuthentication } from "../middleware.js"

// Paths as the reference declares them: `board_id` and `agent_id` of the board routes are strings (unknown or
// malformed: 404); the gateway-main route's `board_id` is a UUID (malformed: 422).
const boardPath = { board_id: Schema.String }
const boardAgentPath = { board_id: Schema.String, agent_id: Schema.String }

/** Agents coordinating through Mission Control with their token: nudges, souls, questions to the user, leads. */
export class AgentCoordinationGroup extends HttpApiGroup.make("agentCoordination")
  .add(
    // Board leads.
    HttpApiEndpoint.post("nudgeAgent", "/agent/boards/:board_id/agents/:agent_id/nudge", {
      params: boardAgentPath,
      payload: AgentNudgeBody,
      success: OkResponse
    }),
    // Board leads, and an agent reading its own SOUL. The answer is the file's content as a JSON string.
    HttpApiEndpoint.get("getAgentSoul", "/agent/boards/:board_id/agents/:agent_id/soul", {
      params: boardAgentPath,
      success: Schema.String
    }),
    // Board leads.
    HttpApiEndpoint.put("updateAgentSoul", "/agent/boards/:board_id/agents/:agent_id/soul", {
      params: boardAgentPath,
      payload: SoulUpdateBody,
      success: OkResponse
    }),
    // Board leads.
    HttpApiEndpoint.post("askUserViaGatewayMain", "/agent/boards/:board_id/gateway/main/ask-user", {
      params: boardPath,
      payload: AskUserBody,
      success: AskUserResponse
    }),
    // The gateway's main agent.
    HttpApiEndpoint.post("messageBoardLead", "/agent/gateway/boards/:board_id/lead/message", {
      params: { board_id: uuidOf(BoardId) },
      payload: LeadMessageBody,
      success: LeadMessageResponse
    }),
    // The gateway's main agent.
    HttpApiEndpoint.post("broadcastLeadMessage", "/agent/gateway/leads/broadcast", {
      payload: LeadBroadcastBody,
      success: LeadBroadcastResponse
    })
  )
  .middleware(AgentAuthentication)
  .annotate(OpenApi.Description, "Called by agents with their agent token: board leads and the gateway's main agent.")
{}
