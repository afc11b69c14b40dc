import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { AgentId } from "../../domain/ids.js"
import { discoverGatewayAgents, linkGatewayAgent, unlinkAgent } from "../../programs/adoptAgents.js"
import { MissionControlApi } from "../Api.js"
import { toAgentLink, toGatewayAgentDiscovery } from "../groups/agentAdoption.js"
import { CurrentUser } from "../middleware.js"
import { agentView, ok, pathId, respond } from "../views.js"

/** Discovering a gateway's agents, linking one to a board, unlinking one. */
export const AgentAdoptionHandlers = HttpApiBuilder.group(MissionControlApi, "agentAdoption", (handlers) =>
  handlers
    .handle("discover", ({ params }) =>
      respond(Effect.gen(function*() {
        const discovered = yield* discoverGatewayAgents(yield* CurrentUser, params.gateway_id)
        return discovered.map(toGatewayAgentDiscovery)
      })))
    .handle("link", ({ payload }) =>
      respond(Effect.gen(function*() {
        return yield* agentView(yield* linkGatewayAgent(yield* CurrentUser, toAgentLink(payload)))
      })))
    .handle("unlink", ({ params }) =>
      respond(Effect.gen(function*() {
        yield* unlinkAgent(yield* CurrentUser, yield* pathId(AgentId, params.agent_id))
        return ok
      }))))
