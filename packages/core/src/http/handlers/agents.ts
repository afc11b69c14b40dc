import { Effect, Stream } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { AgentId } from "../../domain/ids.js"
import {
  createAgent,
  deleteAgent,
  getAgent,
  heartbeatAgent,
  heartbeatOrCreateAgent,
  listAgents,
  parseSince,
  prepareAgentWatch,
  toAgentCreate,
  toAgentHeartbeat,
  toAgentHeartbeatCreate,
  toAgentUpdate,
  updateAgent
} from "../../index.js"
import { MissionControlApi } from "../Api.js"
import { CurrentActor, CurrentUser } from "../middleware.js"
import { sseFrame, sseResponse } from "../sse.js"
import { agentFrameData, agentPageView, agentView, ok, pageOf, pathId, respond } from "../views.js"

const agentIdOf = (text: string) => pathId(AgentId, text)

/** `Last-Event-ID`: the change sequence an SSE client saw last; anything else starts from now. */
const sequenceOf = (header: string | undefined): number | undefined => {
  const value = Number(header)
  return header !== undefined && header.trim() !== "" && Number.isSafeInteger(value) && value >= 0 ? value : undefined
}

/** Agents, for users; creates and heartbeats also for agents. */
export const AgentsHandlers = HttpApiBuilder.group(MissionControlApi, "agents", (handlers) =>
  handlers
    .handle("list", ({ query }) =>
      respond(Effect.gen(function*() {
        const page = yield* listAgents(yield* CurrentUser, {
          boardId: query.board_id,
          gatewayId: query.gateway_id,
          ...pageOf(query)
        })
        return yield* agentPageView(page)
      })))
    .handle("stream", ({ query, headers }) =>
      respond(Effect.gen(function*() {
        const openWatch = yield* prepareAgentWatch(yield* CurrentUser, {
          boardId: query.board_id,
          since: parseSince(query.since),
          afterSequence: sequenceOf(headers["last-event-id"])
        })
        const frames = Stream.unwrap(Effect.map(openWatch, (watch) =>
          Stream.fromEffectRepeat(watch.take).pipe(
            Stream.map((batch) => {
              let text = ""
              for (const event of batch) {
                text += sseFrame("agent", agentFrameData(event.agent, event.at), `${event.sequence}`)
              }
              return text
            })
          )))
        return yield* sseResponse(frames)
      })))
    .handle("heartbeatOrCreate", ({ payload }) =>
      respond(Effect.flatMap(
        Effect.flatMap(
          Effect.service(CurrentActor),
          (actor) => heartbeatOrCreateAgent(actor, toAgentHeartbeatCreate(payload))
        ),
        agentView
      )))
    .handle("create", ({ payload }) =>
      respond(Effect.flatMap(
        Effect.flatMap(Effect.service(CurrentActor), (actor) => createAgent(actor, toAgentCreate(payload))),
        agentView
      )))
    .handle("get", ({ params }) =>
      respond(Effect.gen(function*() {
        return yield* agentView(yield* getAgent(yield* CurrentUser, yield* agentIdOf(params.agent_id)))
      })))
    .handle("update", ({ params, query, payload }) =>
      respond(Effect.gen(function*() {
        const user = yield* CurrentUser
        const id = yield* agentIdOf(params.agent_id)
        return yield* agentView(
          yield* updateAgent(user, id, toAgentUpdate(payload ?? {}), { force: query.force ?? false })
        )
      })))
    .handle("heartbeat", ({ params, payload }) =>
      respond(Effect.gen(function*() {
        const actor = yield* CurrentActor
        const id = yield* agentIdOf(params.agent_id)
        return yield* agentView(yield* heartbeatAgent(actor, id, toAgentHeartbeat(payload ?? {}).status))
      })))
    .handle("delete", ({ params }) =>
      respond(Effect.gen(function*() {
        yield* deleteAgent(yield* CurrentUser, yield* agentIdOf(params.agent_id))
        return ok
      }))))
