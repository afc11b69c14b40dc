import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { AgentRead } from "../../domain/wire.js"
import { optionalBody } from "../endpointFields.js"
import { ActorAuthentication, AgentAuthentication } from "../middleware.js"

/** The body of `POST /boards/{board_id}/lead`. */
export const LeadRequest = Schema.Struct({
  agent_name: Schema.optional(Schema.NullOr(Schema.String)),
  identity_profile: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Schema.String)))
})

/** The answer of `POST /boards/{board_id}/lead`: the lead, and whether this call created it. */
export const LeadResult = Schema.Struct({ agent: AgentRead, created: Schema.Boolean })

/** Boards: their lead agent. */
export class BoardsGroup extends HttpApiGroup.make("boards")
  .add(
    HttpApiEndpoint.post("ensureLead", "/boards/:board_id/lead", {
      params: { board_id: Schema.String },
      payload: optionalBody(LeadRequest),
      success: LeadResult
    })
  )
  .middleware(ActorAuthentication)
{}

/** Boards as agents read them with their token (`/agent/boards`). */
export class AgentBoardsGroup extends HttpApiGroup.make("agentBoards").middleware(AgentAuthentication) {}
