// The provisioning run of one agent generation as a durable workflow: its payload and its attempt.

import { Effect, Option, Schema } from "effect"
import { Activity, Workflow } from "effect/workflow"
import { AgentId, UserId } from "../domain/ids.js"
import type { Board } from "../domain/models.js"
import { isProvisionPending, runProvisioning } from "../programs/provisionAgentRecord.js"
import { withAgentRunLock } from "../services/AgentLocks.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { BoardRepository } from "../services/BoardRepository.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import type { KeyedPermits } from "../services/keyedPermits.js"
import { OrganizationRepository } from "../services/OrganizationRepository.js"
import { completed, failedOutcome, gone, inTurn, LifecycleOutcome, superseded, untilSettled } from "./attempts.js"

/** What a provisioning workflow runs: one requested generation of one agent, with the request's options. */
export const ProvisionPayload = Schema.Struct({
  agentId: AgentId,
  generation: Schema.Number,
  action: Schema.Literals(["provision", "update"]),
  previousStatus: Schema.String,
  userId: Schema.NullOr(UserId),
  forceBootstrap: Schema.Boolean,
  resetSession: Schema.Boolean,
  wake: Schema.Boolean,
  deliverWakeup: Schema.Boolean,
  wakeupVerb: Schema.NullOr(Schema.String)
})
export type ProvisionPayload = typeof ProvisionPayload.Type

/**
 * The workflow, keyed by agent and generation: submitting the same generation again joins the run in progress or
 * returns its recorded outcome, never a second run.
 */
export const ProvisionAgentWorkflow = Workflow.make("mission-control/ProvisionAgent", {
  payload: ProvisionPayload,
  success: LifecycleOutcome,
  idempotencyKey: ({ agentId, generation }) => `${agentId}:${generation}`
})

/**
 * One attempt, under the agent's run lock (`agent-run/<id>`, taken by everything else that changes the agent on its
 * gateway, and never held by a request waiting for the workflow). It reads the record first: an attempt replayed
 * after a crash finds the work done or taken over and does nothing.
 */
const attempt = (payload: ProvisionPayload, perGateway: KeyedPermits, onPending: Effect.Effect<void>) =>
  Effect.gen(function*() {
    const agents = yield* AgentRepository
    const found = yield* agents.findById(payload.agentId)
    if (Option.isNone(found) || found.value.status === "deleting") return gone
    const agent = found.value
    if (agent.lifecycleGeneration !== payload.generation) return superseded
    if (!isProvisionPending(agent)) return completed
    const gateway = yield* Effect.flatMap(GatewayRepository, (gateways) => gateways.findById(agent.gatewayId))
    if (Option.isNone(gateway)) return gone
    let board: Board | null = null
    if (agent.boardId !== null) {
      const found = yield* Effect.flatMap(BoardRepository, (boards) => boards.findById(agent.boardId!))
      if (Option.isNone(found)) return gone
      board = found.value
    }
    const organizations = yield* OrganizationRepository
    const user = payload.userId !== null
      ? Option.getOrNull(yield* organizations.findUser(payload.userId))
      : board === null
      ? Option.getOrNull(yield* organizations.findOwnerUser(gateway.value.organizationId))
      : null
    return yield* runProvisioning(agent, {
      action: payload.action,
      gateway: gateway.value,
      board,
      user,
      previousStatus: payload.previousStatus,
      forceBootstrap: payload.forceBootstrap,
      resetSession: payload.resetSession,
      wake: payload.wake,
      deliverWakeup: payload.deliverWakeup,
      wakeupVerb: payload.wakeupVerb,
      idempotencyKey: `${payload.agentId}:${payload.generation}`
    }, "durable").pipe(
      inTurn(perGateway, gateway.value.id, agent.id, `Gateway ${payload.action} pending`, onPending),
      Effect.as(completed),
      Effect.catchTags(failedOutcome)
    )
  }).pipe(withAgentRunLock(payload.agentId))

/** The workflow's single activity: the attempts, recorded once they end the work. */
export const provisionActivity = (
  payload: ProvisionPayload,
  onPending: Effect.Effect<void>,
  perGateway: KeyedPermits
) =>
  Activity.make({
    name: "converge",
    success: LifecycleOutcome,
    execute: untilSettled(attempt(payload, perGateway, onPending), onPending)
  })
