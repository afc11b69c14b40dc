// Check-in after a wakeup (the reference's later lifecycle): a provisioning run that wakes an agent awaits its
// check-in by a deadline; an agent silent by then is woken again, and marked `offline` with the reason once it has
// been woken `Settings.maxWakeAttempts` times without answering.

import { DateTime, Effect, Option } from "effect"
import type { ActivityEventId, AgentId } from "../domain/ids.js"
import type { Agent } from "../domain/models.js"
import { ActivityEvent } from "../domain/models.js"
import { annotate, AttributeKey } from "../observability/attributes.js"
import { AgentLocks } from "../services/AgentLocks.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { BoardRepository } from "../services/BoardRepository.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { OrganizationRepository } from "../services/OrganizationRepository.js"
import { Settings } from "../Settings.js"
import { dieOnDuplicate, newUuid, now, runToCompletion } from "./common.js"
import { provisionAgentRecordLocked } from "./provisionAgentRecord.js"

/** The reason an agent that never answered its wakeups is `offline` for (`last_provision_error`). */
export const missedCheckInReason = "Agent did not check in after wake; max wake attempts reached"

/**
 * What a check-in found: `rewoken` (woken again; `failed` when that run failed), `offline` (out of attempts),
 * `checked_in` (seen since the wakeup), `not_due` (its deadline has not passed, or none is awaited), `stale` (a later
 * provisioning run started meanwhile), `deleting`, `gone`.
 */
export type CheckInResult = "rewoken" | "failed" | "offline" | "checked_in" | "not_due" | "stale" | "deleting" | "gone"

/** The check-in of one agent. */
export interface CheckInOutcome {
  readonly agentId: AgentId
  readonly result: CheckInResult
  /** Wakeups sent without a check-in, after this check. */
  readonly wakeAttempts: number
  /** Why a re-wake failed. */
  readonly error: string | null
}

/** True when the agent was seen (a heartbeat or any authenticated call) since its last wakeup. */
export const checkedInSinceWake = (agent: Agent): boolean =>
  agent.lastSeenAt !== null &&
  (agent.lastWakeSentAt === null || DateTime.isGreaterThanOrEqualTo(agent.lastSeenAt, agent.lastWakeSentAt))

const attemptsOf = (agent: Agent): number => agent.wakeAttempts

const outcome = (
  agentId: AgentId,
  result: CheckInResult,
  wakeAttempts: number,
  error: string | null = null
): CheckInOutcome => ({ agentId, result, wakeAttempts, error })

/**
 * Checks the check-in awaited from an agent by the provisioning run of lifecycle generation `generation`, under the
 * agent's lock: nothing when the agent is gone, a later run started, it checked in, it is being deleted or its
 * deadline has not passed; else it is marked `offline` (deadline cleared, `missedCheckInReason` kept, an
 * `agent.checkin.missed` activity) when it was woken `Settings.maxWakeAttempts` times already, or is updated and
 * woken again (new token, session reset) by `provisionAgentRecord`, which awaits the next check-in.
 */
export const checkInAgent = Effect.fn("checkInAgent")(function*(agentId: AgentId, generation: number) {
  yield* annotate({ [AttributeKey.agentId]: agentId })
  const locks = yield* AgentLocks
  return yield* runToCompletion(locks.withLock(`agent/${agentId}`)(checkInAgentLocked(agentId, generation)))
})

const checkInAgentLocked = Effect.fnUntraced(function*(agentId: AgentId, generation: number) {
  const agents = yield* AgentRepository
  const settings = yield* Settings
  const found = yield* agents.findById(agentId)
  if (Option.isNone(found)) return outcome(agentId, "gone", 0)
  const agent = found.value
  if (agent.lifecycleGeneration !== generation) return outcome(agentId, "stale", agent.wakeAttempts)
  const at = yield* now
  if (checkedInSinceWake(agent)) {
    if (agent.checkinDeadlineAt !== null) {
      yield* agents.update(agentId, { checkinDeadlineAt: null, wakeAttempts: 0, updatedAt: at }).pipe(dieOnDuplicate)
    }
    return outcome(agentId, "checked_in", 0)
  }
  if (agent.status === "deleting") return outcome(agentId, "deleting", agent.wakeAttempts)
  if (agent.checkinDeadlineAt === null || DateTime.isLessThan(at, agent.checkinDeadlineAt)) {
    return outcome(agentId, "not_due", agent.wakeAttempts)
  }
  if (agent.wakeAttempts >= settings.maxWakeAttempts) {
    const activity = new ActivityEvent({
      id: yield* newUuid<ActivityEventId>(),
      eventType: "agent.checkin.missed",
      message: `${agent.name} did not check in after ${agent.wakeAttempts} wakeups; marked offline.`,
      agentId,
      taskId: null,
      createdAt: at
    })
    yield* agents.updateWithActivity(agentId, {
      status: "offline",
      checkinDeadlineAt: null,
      lastProvisionError: missedCheckInReason,
      updatedAt: at
    }, activity).pipe(dieOnDuplicate)
    return outcome(agentId, "offline", agent.wakeAttempts)
  }
  const boards = yield* BoardRepository
  const gateways = yield* GatewayRepository
  const organizations = yield* OrganizationRepository
  const board = agent.boardId === null ? null : Option.getOrNull(yield* boards.findById(agent.boardId))
  const gateway = Option.getOrNull(yield* gateways.findById(board?.gatewayId ?? agent.gatewayId))
  if (gateway === null || (agent.boardId !== null && board === null)) {
    return outcome(agentId, "failed", agent.wakeAttempts, "Board or gateway not found")
  }
  const owner = yield* organizations.findOwnerUser(board?.organizationId ?? gateway.organizationId)
  return yield* provisionAgentRecordLocked(agentId, {
    action: "update",
    gateway,
    board,
    user: Option.getOrNull(owner),
    resetSession: true,
    wake: true,
    deliverWakeup: true,
    wakeupVerb: "updated"
  }).pipe(
    Effect.map((woken) => outcome(agentId, "rewoken", woken.wakeAttempts)),
    Effect.catch((error) =>
      Effect.map(
        agents.findById(agentId),
        (after) =>
          outcome(agentId, "failed", Option.match(after, { onNone: () => 0, onSome: attemptsOf }), error.detail)
      )
    )
  )
})

/**
 * Checks every agent whose check-in deadline has passed (`checkInAgent`), a few at a time. Hosts run it periodically,
 * more often than `Settings.checkinDeadline`; several processes may run it at once (each agent is checked under its
 * lock, and a check finds the work done by another one). Returns what it did for each agent.
 */
export const checkInOverdueAgents = Effect.fn("checkInOverdueAgents")(function*() {
  const agents = yield* AgentRepository
  const settings = yield* Settings
  const due = yield* agents.listCheckinDue(yield* now)
  return yield* Effect.forEach(
    due,
    (agent) => checkInAgent(agent.id, agent.lifecycleGeneration),
    { concurrency: settings.syncConcurrency }
  )
})
