import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { AgentId, BoardId } from "../../domain/ids.js"
import {
  Actor,
  createAgentAsLead,
  deleteAgentAsLead,
  heartbeatAgent,
  listAgentsForAgent,
  toAgentCreate,
  toAgentHealthStatus,
  toAgentHeartbeatCreate
} from "../../index.js"
import { MissionControlApi } from "../Api.js"
import { CurrentAgent } from "../middleware.js"
import { agentPageView, agentView, ok, pageOf, pathId, respond } from "../views.js"

/** The routes agents call with their token. */
export const AgentTokenHandlers = HttpApiBuilder.group(MissionControlApi, "agent", (handlers) =>
  handlers
    .handle("healthz", () => Effect.map(Effect.service(CurrentAgent), toAgentHealthStatus))
    .handle("listAgents", ({ query }) =>
      respond(Effect.gen(function*() {
        const caller = yield* CurrentAgent
        const page = yield* listAgentsForAgent(caller, { boardId: query.board_id, ...pageOf(query) })
        return yield* agentPageView(page)
      })))
    .handle("createAgent", ({ payload }) =>
      respond(Effect.gen(function*() {
        const created = yield* createAgentAsLead(yield* CurrentAgent, toAgentCreate(payload))
        return yield* agentView(created)
      })))
    .handle("heartbeat", ({ payload }) =>
      respond(Effect.gen(function*() {
        const caller = yield* CurrentAgent
        return yield* agentView(
          yield* heartbeatAgent(
            Actor.agent(caller),
            caller.id,
            payload === null ? null : toAgentHeartbeatCreate(payload).status
          )
        )
      })))
    .handle("deleteBoardAgent", ({ params }) =>
      respond(Effect.gen(function*() {
        const caller = yield* CurrentAgent
        const boardId = yield* pathId(BoardId, params.board_id)
        const agentId = yield* pathId(AgentId, params.agent_id)
        yield* deleteAgentAsLead(caller, boardId, agentId)
        return ok
      }))))
