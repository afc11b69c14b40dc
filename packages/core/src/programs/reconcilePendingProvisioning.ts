import { DateTime, Duration, Effect, Option } from "effect"
import type { AgentId } from "../domain/ids.js"
import { annotate, AttributeKey } from "../observability/attributes.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { BoardRepository } from "../services/BoardRepository.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { OrganizationRepository } from "../services/OrganizationRepository.js"
import { Settings } from "../Settings.js"
import { now } from "./common.js"
import { provisionAgentRecord } from "./provisionAgentRecord.js"

/** Outcome of re-running one abandoned provisioning. */
export interface ReconcileOutcome {
  readonly agentId: AgentId
  readonly ok: boolean
  readonly error: string | null
}

/**
 * Re-runs provisioning of agents whose provisioning was requested long ago and never completed (a crash or a
 * gateway outage in the middle): nothing stays `provisioning` or `updating` for good. Hosts run it at start-up and
 * periodically.
 */
export const reconcilePendingProvisioning = Effect.fn("reconcilePendingProvisioning")(function*() {
  const settings = yield* Settings
  const agents = yield* AgentRepository
  const boards = yield* BoardRepository
  const gateways = yield* GatewayRepository
  const cutoff = DateTime.subtractDuration(yield* now, Duration.fromInputUnsafe(settings.staleProvisionAfter))
  const pending = yield* agents.listPendingProvision(cutoff)
  yield* annotate({ [AttributeKey.reconcilePending]: pending.length })
  return yield* Effect.forEach(pending, (agent) =>
    Effect.gen(function*() {
      const board = agent.boardId === null ? null : Option.getOrNull(yield* boards.findById(agent.boardId))
      const gateway = Option.getOrNull(yield* gateways.findById(board?.gatewayId ?? agent.gatewayId))
      if (gateway === null || (agent.boardId !== null && board === null)) {
        return { agentId: agent.id, ok: false, error: "Board or gateway not found" } satisfies ReconcileOutcome
      }
      const action = agent.provisionAction === "update" ? "update" : "provision"
      const organizations = yield* OrganizationRepository
      const owner = yield* organizations.findOwnerUser(board?.organizationId ?? gateway.organizationId)
      return yield* provisionAgentRecord(agent.id, {
        action,
        gateway,
        board,
        user: Option.getOrNull(owner),
        resetSession: true,
        onlyIfPending: true
      }).pipe(
        Effect.as({ agentId: agent.id, ok: true, error: null } satisfies ReconcileOutcome),
        Effect.catch((error) => Effect.succeed({ agentId: agent.id, ok: false, error: error.detail }))
      )
    }), { concurrency: settings.syncConcurrency })
})
