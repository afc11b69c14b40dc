import { Effect, Option } from "effect"
import { gatewayMainSessionKey } from "../domain/identity.js"
import type { Agent, Gateway } from "../domain/models.js"
import type { OkResponse } from "../domain/wire.js"
import { GatewayFailure, Internal } from "../errors.js"
import { ActivityRepository } from "../services/ActivityRepository.js"
import { AgentLocks } from "../services/AgentLocks.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { GatewayControlPlane } from "../services/GatewayControlPlane.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { TaskRepository } from "../services/TaskRepository.js"
import { Transactor } from "../services/Transactor.js"
import { Settings } from "../Settings.js"
import { gatewayTarget, requireBoard, requireGateway } from "./access.js"
import { newUuid, now, recordActivity } from "./common.js"
import { deleteAgentLifecycle } from "./provisioning.js"
import { retryTransient } from "./retry.js"

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
        const message = error._tag === "GatewayTimeout" ? error.detail : error.message
        yield* recordActivity("agent.delete.failed", `Delete message failed: ${message}`, agent.id)
        return yield* error._tag === "ProvisioningFault"
          ? new Internal({ detail: `Workspace cleanup failed: ${message}` })
          : new GatewayFailure({ detail: `Gateway cleanup failed: ${message}` })
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
    return { ok: true } as OkResponse
  }))
})
