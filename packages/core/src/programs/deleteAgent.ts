import { Effect, Option } from "effect"
import { gatewayMainSessionKey } from "../domain/identity.js"
import type { AgentId, BoardId } from "../domain/ids.js"
import type { Agent, Gateway, User } from "../domain/models.js"
import { Forbidden, GatewayFailure, Internal, NotFound, reason } from "../errors.js"
import { agentAttributes, annotate, AttributeKey } from "../observability/attributes.js"
import { ActivityRepository } from "../services/ActivityRepository.js"
import { AgentLocks } from "../services/AgentLocks.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { BoardRepository } from "../services/BoardRepository.js"
import { GatewayControlPlane } from "../services/GatewayControlPlane.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { TaskRepository } from "../services/TaskRepository.js"
import { Transactor } from "../services/Transactor.js"
import { Settings } from "../Settings.js"
import {
  gatewayTarget,
  requireAgentAccess,
  requireBoard,
  requireBoardLead,
  requireGateway,
  requireOrgAdmin
} from "./access.js"
import { newUuid, now, recordActivity } from "./common.js"
import { retryTransient } from "./retry.js"
import { deleteAgentLifecycle } from "./workspaceLifecycle.js"

const forbidden = () => new Forbidden({ detail: reason.forbidden })
const notFound = () => new NotFound({ detail: reason.notFound })

/** The chat message asking the gateway agent to remove a deleted agent's workspace. */
export const cleanupMessage = (agent: Agent, workspace: string): string =>
  "Cleanup request for deleted agent.\n\n" +
  `Agent name: ${agent.name}\n` +
  `Agent id: ${agent.id}\n` +
  `Workspace path: ${workspace}\n\n` +
  "Actions:\n" +
  "1) Remove the workspace directory.\n" +
  "2) Reply NO_REPLY.\n"

const gatewayOf = Effect.fnUntraced(function*(agent: Agent) {
  if (agent.boardId === null) {
    const gateways = yield* GatewayRepository
    const gateway = yield* gateways.findById(agent.gatewayId)
    return Option.filter(gateway, (found) => found.url.trim() !== "")
  }
  const board = yield* requireBoard(agent.boardId)
  const { gateway } = yield* requireGateway(board)
  return Option.some(gateway)
})

const notifyMainAgent = (agent: Agent, gateway: Gateway, workspace: string) =>
  Effect.gen(function*() {
    const controlPlane = yield* GatewayControlPlane
    const target = yield* gatewayTarget(gateway)
    const client = yield* controlPlane.client(target)
    const sessionKey = gatewayMainSessionKey(gateway.id)
    yield* client.ensureSession(sessionKey, "Gateway Agent")
    yield* client.sendChat({
      sessionKey,
      message: cleanupMessage(agent, workspace),
      deliver: false,
      idempotencyKey: yield* newUuid<string>()
    })
  }).pipe(Effect.ignore)

/**
 * Deletes an agent: gateway clean-up first (502 `Gateway cleanup failed: …` with an activity entry when it fails,
 * and the record stays), then in one transaction the activity entry, the release of its tasks, the detaching of its
 * activity and the row itself; finally the gateway agent is asked to remove the workspace (best effort).
 */
export const deleteAgentRecord = Effect.fn("deleteAgentRecord")(function*(agent: Agent) {
  yield* annotate(agentAttributes(agent))
  const settings = yield* Settings
  const locks = yield* AgentLocks
  const transactor = yield* Transactor
  const agents = yield* AgentRepository
  const tasks = yield* TaskRepository
  const activity = yield* ActivityRepository
  const gateway = yield* gatewayOf(agent)

  return yield* locks.withLock(`agent/${agent.id}`)(Effect.gen(function*() {
    let workspace: string | null = null
    if (Option.isSome(gateway)) {
      const cleanup = yield* Effect.result(
        deleteAgentLifecycle(agent, gateway.value).pipe(retryTransient(settings.operationRetry))
      )
      if (cleanup._tag === "Failure") {
        const error = cleanup.failure
        yield* recordActivity("agent.delete.failed", `Delete message failed: ${error.detail}`, agent.id)
        return yield* error._tag === "ProvisioningFault"
          ? new Internal({ detail: `Workspace cleanup failed: ${error.detail}` })
          : new GatewayFailure({ detail: `Gateway cleanup failed: ${error.detail}` })
      }
      workspace = cleanup.success
    }
    yield* transactor.withTransaction(Effect.gen(function*() {
      const at = yield* now
      yield* recordActivity("agent.delete.direct", `Deleted agent ${agent.name}.`, null)
      yield* tasks.releaseAgentTasks(agent.id, at)
      yield* activity.detachAgent(agent.id)
      yield* agents.delete(agent.id)
    }))
    if (agent.boardId !== null && Option.isSome(gateway) && workspace !== null && workspace !== "") {
      yield* notifyMainAgent(agent, gateway.value, workspace)
    }
  }))
}, Effect.asVoid)

/** Deletes an agent (an org admin with write access); a missing agent is already deleted. */
export const deleteAgent = Effect.fn("deleteAgent")(function*(user: User | null, agentId: AgentId) {
  yield* annotate({ [AttributeKey.agentId]: agentId })
  const context = yield* requireOrgAdmin(user)
  const agents = yield* AgentRepository
  const agent = yield* agents.findById(agentId)
  if (Option.isNone(agent)) return
  yield* requireAgentAccess(agent.value, context, true)
  yield* deleteAgentRecord(agent.value)
})

/**
 * Deletes a worker of a board as that board's lead, in the reference's order: the board must exist (404), the caller
 * must not belong to another board (403), must be a board lead ("Only board leads can perform this action"), and may
 * not delete a gateway-main agent or a lead (403 with their texts); a worker of another board is 404, a missing
 * agent is already deleted.
 */
export const deleteAgentAsLead = Effect.fn("deleteAgentAsLead")(function*(
  lead: Agent,
  boardId: BoardId,
  agentId: AgentId
) {
  yield* annotate({ [AttributeKey.agentId]: agentId, [AttributeKey.boardId]: boardId })
  const boards = yield* BoardRepository
  if (Option.isNone(yield* boards.findById(boardId))) return yield* notFound()
  if (lead.boardId !== null && lead.boardId !== boardId) return yield* forbidden()
  const leadBoardId = yield* requireBoardLead(lead)
  const agents = yield* AgentRepository
  const found = yield* agents.findById(agentId)
  if (Option.isNone(found)) return
  const target = found.value
  if (target.boardId === null) return yield* new Forbidden({ detail: "Board leads cannot delete gateway main agents" })
  const board = yield* requireBoard(leadBoardId)
  if (target.boardId !== board.id) return yield* notFound()
  if (target.isBoardLead) return yield* new Forbidden({ detail: "Board leads cannot delete lead agents" })
  yield* deleteAgentRecord(target)
}, Effect.asVoid)
