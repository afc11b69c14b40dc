import { Effect, Option } from "effect"
import { gatewayMainSessionKey } from "../domain/identity.js"
import type { AgentId, BoardId } from "../domain/ids.js"
import type { Agent, Gateway, User } from "../domain/models.js"
import { Forbidden, GatewayFailure, Internal, NotFound, reason } from "../errors.js"
import { DurableLifecycle } from "../lifecycle/DurableLifecycle.js"
import { agentAttributes, annotate, AttributeKey } from "../observability/attributes.js"
import { ActivityRepository } from "../services/ActivityRepository.js"
import { AgentLocks, withAgentLocks } from "../services/AgentLocks.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { BoardRepository } from "../services/BoardRepository.js"
import { GatewayControlPlane, isTransientGatewayError } from "../services/GatewayControlPlane.js"
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
import { dieOnDuplicate, newUuid, now, recordActivity } from "./common.js"
import { ProvisioningPending } from "./provisionAgentRecord.js"
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

export const gatewayOf = Effect.fnUntraced(function*(agent: Agent) {
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

/** What a deletion does when the gateway clean-up fails: `final` as the reference, `durable` as a workflow's attempt. */
export type RemovalMode =
  | { readonly _tag: "final" }
  | { readonly _tag: "durable"; readonly previousStatus: string }

/**
 * Gateway clean-up first, then in one transaction the activity entry, the release of the agent's tasks, the
 * detaching of its activity and the row itself; finally the gateway agent is asked to remove the workspace (best
 * effort). A clean-up that fails records `agent.delete.failed` and fails with 502 `Gateway cleanup failed: …` (500
 * `Workspace cleanup failed: …` for a fault of ours), the record kept; in a durable attempt the record gets its
 * status back, and an unreachable gateway leaves the deletion pending (`ProvisioningPending`) instead.
 */
export const removeAgent = Effect.fnUntraced(
  function*(agent: Agent, gateway: Option.Option<Gateway>, mode: RemovalMode) {
    const settings = yield* Settings
    const transactor = yield* Transactor
    const agents = yield* AgentRepository
    const tasks = yield* TaskRepository
    const activity = yield* ActivityRepository
    let workspace: string | null = null
    if (Option.isSome(gateway)) {
      const policy = mode._tag === "final" ? settings.operationRetry : settings.lifecycleAttempt
      const cleanup = yield* Effect.result(deleteAgentLifecycle(agent, gateway.value).pipe(retryTransient(policy)))
      if (cleanup._tag === "Failure") {
        const error = cleanup.failure
        const transient = error._tag === "GatewayTimeout" ||
          (error._tag === "GatewayError" && isTransientGatewayError(error))
        if (mode._tag === "durable" && transient) {
          yield* agents.update(agent.id, {
            lastProvisionError: `Gateway delete pending: ${error.detail}`,
            updatedAt: yield* now
          }).pipe(dieOnDuplicate)
          return yield* Effect.fail(new ProvisioningPending({ detail: error.detail }))
        }
        if (mode._tag === "durable") {
          yield* agents.update(agent.id, {
            status: mode.previousStatus,
            lastProvisionError: error.detail,
            updatedAt: yield* now
          }).pipe(dieOnDuplicate)
        }
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
  }
)

/**
 * Deletes an agent (see `removeAgent`) under its locks. With `DurableLifecycle` provided, the deletion is a durable
 * workflow: the record is marked `deleting` in a new lifecycle generation, and while the gateway is unreachable the
 * caller is answered at once, the workflow finishing the deletion once the gateway answers again.
 */
export const deleteAgentRecord = Effect.fn("deleteAgentRecord")(function*(agent: Agent) {
  yield* annotate(agentAttributes(agent))
  const agents = yield* AgentRepository
  const locks = yield* AgentLocks
  const gateway = yield* gatewayOf(agent)
  const durable = yield* Effect.serviceOption(DurableLifecycle)
  if (Option.isNone(durable)) {
    return yield* withAgentLocks(agent.id)(removeAgent(agent, gateway, { _tag: "final" })).pipe(
      // Only durable attempts are left pending.
      Effect.catchTag("ProvisioningPending", (error) => Effect.die(error))
    )
  }

  return yield* locks.withLock(`agent/${agent.id}`)(Effect.gen(function*() {
    const current = yield* agents.findById(agent.id)
    if (Option.isNone(current)) return
    // A deletion already under way is the same work: waited for again, not started over.
    if (current.value.status === "deleting") {
      return yield* durable.value.delete({
        agentId: agent.id,
        generation: current.value.lifecycleGeneration,
        previousStatus: "offline"
      })
    }
    const marked = yield* agents.update(agent.id, {
      status: "deleting",
      lifecycleGeneration: current.value.lifecycleGeneration + 1,
      checkinDeadlineAt: null,
      updatedAt: yield* now
    }).pipe(dieOnDuplicate)
    if (Option.isNone(marked)) return
    yield* durable.value.delete({
      agentId: agent.id,
      generation: marked.value.lifecycleGeneration,
      previousStatus: current.value.status
    })
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
