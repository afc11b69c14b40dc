import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { BoardId, GatewayId } from "../../domain/ids.js"
import { limits } from "../../domain/limits.js"
import { AgentRead, OkResponse } from "../../domain/wire.js"
import { fromWireKeys, Name, trimmedText, withDefault } from "../../domain/wireFields.js"
import type { AgentLink, DiscoveredAgent } from "../../programs/adoptAgents.js"
import { uuidOf } from "../fields.js"
import { UserAuthentication } from "../middleware.js"

// The reference's PR #174 routes and bodies (`GatewayAgentDiscovery`, `AgentLinkRequest`), with ours added:
// `is_board_lead` and `gateway_id` in the link, `name`, `kind` and the linked record's ids in the discovery.

/** A gateway agent as `GET /gateways/{gateway_id}/discover-agents` lists it; `agent_id` is its id on the gateway. */
export const GatewayAgentDiscovery = Schema.Struct({
  agent_id: Schema.String,
  name: Schema.NullOr(Schema.String),
  workspace: Schema.NullOr(Schema.String),
  linked: Schema.Boolean,
  linked_agent_name: Schema.NullOr(Schema.String),
  linked_agent_id: Schema.NullOr(Schema.String),
  linked_board_id: Schema.NullOr(Schema.String),
  kind: Schema.Literals(["managed", "managed_elsewhere", "orphan", "foreign"])
})
export type GatewayAgentDiscovery = typeof GatewayAgentDiscovery.Type

/** A discovered agent on the wire. Another gateway row's record is never shown (it may be another organization's). */
export const toGatewayAgentDiscovery = (agent: DiscoveredAgent): GatewayAgentDiscovery => ({
  agent_id: agent.gatewayAgentId,
  name: agent.name,
  workspace: agent.workspace,
  linked: agent.kind === "managed" || agent.kind === "managed_elsewhere",
  linked_agent_name: agent.agent?.name ?? null,
  linked_agent_id: agent.agent?.id ?? null,
  linked_board_id: agent.agent?.boardId ?? null,
  kind: agent.kind
})

/** Body of `POST /agents/link`. */
const AgentLinkWire = fromWireKeys({
  gatewayAgentId: trimmedText(limits.name),
  boardId: BoardId,
  name: Name,
  role: withDefault(Schema.NullOr(trimmedText(limits.name)), null),
  isBoardLead: withDefault(Schema.Boolean, false),
  gatewayId: withDefault(Schema.NullOr(GatewayId), null)
}, {
  gatewayAgentId: "gateway_agent_id",
  boardId: "board_id",
  isBoardLead: "is_board_lead",
  gatewayId: "gateway_id"
})
/** The body on the wire. */
export const AgentLinkBody = AgentLinkWire.body
export type AgentLinkBody = typeof AgentLinkBody.Type
/** The program's input of a decoded body. */
export const toAgentLink = (body: AgentLinkBody): AgentLink => AgentLinkWire.fromBody(body)

const gatewayPath = { gateway_id: uuidOf(GatewayId) }
// `agent_id` as the reference declares it in paths: a string (unknown or malformed: 404).
const agentPath = { agent_id: Schema.String }

/** Adopting agents that already exist on a gateway: discover, link, unlink. Org admins. */
export class AgentAdoptionGroup extends HttpApiGroup.make("agentAdoption")
  .add(
    HttpApiEndpoint.get("discover", "/gateways/:gateway_id/discover-agents", {
      params: gatewayPath,
      success: Schema.Array(GatewayAgentDiscovery)
    }),
    HttpApiEndpoint.post("link", "/agents/link", { payload: AgentLinkBody, success: AgentRead }),
    HttpApiEndpoint.post("unlink", "/agents/:agent_id/unlink", { params: agentPath, success: OkResponse })
  )
  .middleware(UserAuthentication)
  .annotate(
    OpenApi.Description,
    "Agents that already exist on a gateway: discovered, linked to a board (brought under management), unlinked " +
      "(the gateway agent kept)."
  )
{}
