import { Effect, Option } from "effect"
import { boardScopedSessionKey } from "../domain/identity.js"
import type { ActivityEventId, AgentId } from "../domain/ids.js"
import type { Agent } from "../domain/models.js"
import { ActivityEvent } from "../domain/models.js"
import type { AgentHeartbeatCreate } from "../domain/wire.js"
import { Forbidden, NotFound, reason } from "../errors.js"
import { agentAttributes, annotate, annotateAgent } from "../observability/attributes.js"
import { countHeartbeat } from "../observability/metrics.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { requireAgentAccess, requireBoard, requireGateway, requireOrgAdmin, requireUserContext } from "./access.js"
import { findAgent, insertBoardAgent } from "./agentRecords.js"
import type { Actor } from "./common.js"
import { dieOnDuplicate, newUuid, now, orFail } from "./common.js"
import { provisionAgentRecord } from "./provisionAgentRecord.js"

const forbidden = () => new Forbidden({ detail: reason.forbidden })

/**
 * Stores a heartbeat of `agent` (as just read): its status (or `online` after `provisioning` or `offline`), last
 * seen now, the check-in a wakeup awaited done, and an activity entry. 404 when the agent is gone by then.
 */
const commitHeartbeat = Effect.fnUntraced(function*(agent: Agent, status: string | null) {
  const agents = yield* AgentRepository
  const at = yield* now
  // Without a status of its own, an agent heartbeating is online, also after it was marked offline for missing its
  // check-in (the reference would keep showing that `offline` while it heartbeats).
  const nextStatus = status !== null && status !== ""
    ? status
    : agent.status === "provisioning" || agent.status === "offline"
    ? "online"
    : agent.status
  // Every field is typed and built here: the constructor's validation is skipped on this hot path.
  const activity = new ActivityEvent({
    id: yield* newUuid<ActivityEventId>(),
    eventType: "agent.heartbeat",
    message: `Heartbeat received from ${agent.name}.`,
    agentId: agent.id,
    taskId: null,
    createdAt: at
  }, { disableChecks: true })
  const updated = yield* agents.updateWithActivity(
    agent.id,
    // The agent checked in: no wakeup is awaited any more, and a reason it was marked offline is void.
    {
      status: nextStatus,
      lastSeenAt: at,
      lastHeartbeatAt: at,
      wakeAttempts: 0,
      checkinDeadlineAt: null,
      lastProvisionError: null,
      updatedAt: at
    },
    activity
  ).pipe(
    dieOnDuplicate,
    Effect.flatMap(orFail(() => new NotFound({ detail: reason.notFound })))
  )
  yield* countHeartbeat(agent.gatewayId)
  return updated
})

/**
 * A heartbeat for an agent, from the agent itself or an org admin with write access to it. On the path of every
 * agent, so without a span of its own: a user's heartbeat puts the agent's ids on the current span (an agent's own
 * were put there by `authenticateAgent`).
 */
export const heartbeatAgent = Effect.fnUntraced(function*(
  actor: Actor,
  agentId: AgentId,
  status: string | null
) {
  // An agent's own heartbeat: authentication has just read it.
  let agent = actor._tag === "Agent" && actor.agent.id === agentId ? actor.agent : undefined
  if (agent === undefined) agent = yield* findAgent(agentId)
  if (actor._tag === "Agent") {
    if (actor.agent.id !== agent.id) return yield* forbidden()
  } else {
    yield* annotateAgent(agent)
    const context = yield* requireOrgAdmin(actor.user)
    yield* requireAgentAccess(agent, context, true)
  }
  return yield* commitHeartbeat(agent, status)
})

/**
 * A heartbeat by name: an agent's own heartbeat for agent callers; for users, finds the agent by exact name
 * (optionally on a board), creating and provisioning it when missing, provisioning it when it never got a token.
 */
export const heartbeatOrCreateAgent = Effect.fn("heartbeatOrCreateAgent")(function*(
  actor: Actor,
  payload: AgentHeartbeatCreate
) {
  if (actor._tag === "Agent") {
    yield* annotate(agentAttributes(actor.agent))
    return yield* heartbeatAgent(actor, actor.agent.id, payload.status)
  }
  const agents = yield* AgentRepository
  // Only the caller's organization is searched: another organization's agent of that name is neither taken nor
  // revealed (the answer for it is the one for an unknown name).
  const context = yield* requireUserContext(actor.user)
  const found = yield* agents.findByExactName(payload.name, {
    organizationId: context.organization.id,
    boardId: payload.boardId ?? undefined
  })
  let agentId: AgentId
  if (Option.isNone(found)) {
    yield* requireOrgAdmin(actor.user)
    const board = yield* requireBoard(payload.boardId, { user: actor.user, write: true })
    const { gateway } = yield* requireGateway(board)
    const agent = yield* insertBoardAgent(board, gateway, {
      name: payload.name,
      heartbeatConfig: null,
      identityProfile: null,
      identityTemplate: null,
      soulTemplate: null,
      isBoardLead: false
    })
    yield* provisionAgentRecord(agent.id, { action: "provision", gateway, board, user: actor.user, resetSession: true })
    agentId = agent.id
  } else {
    const agent = found.value
    yield* requireAgentAccess(agent, context, true)
    if (agent.agentTokenDigest === null) {
      const board = yield* requireBoard(agent.boardId, { user: actor.user, write: true })
      const { gateway } = yield* requireGateway(board)
      yield* provisionAgentRecord(agent.id, {
        action: "provision",
        gateway,
        board,
        user: actor.user,
        resetSession: true
      })
    }
    agentId = agent.id
  }
  const agent = yield* findAgent(agentId)
  yield* annotate(agentAttributes(agent))
  if (agent.boardId !== null) {
    const expected = boardScopedSessionKey(agent)
    if (agent.openclawSessionId !== expected) {
      yield* agents.update(agent.id, { openclawSessionId: expected, updatedAt: yield* now }).pipe(dieOnDuplicate)
    }
  }
  return yield* commitHeartbeat(agent, payload.status)
})
