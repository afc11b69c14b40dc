// The deletion of one agent generation as a durable workflow: its payload and its attempt.

import { Effect, Option, Schema } from "effect"
import { Activity, Workflow } from "effect/workflow"
import { AgentId } from "../domain/ids.js"
import { gatewayOf, removeAgent } from "../programs/deleteAgent.js"
import { withAgentRunLock } from "../services/AgentLocks.js"
import { AgentRepository } from "../services/AgentRepository.js"
import type { KeyedPermits } from "../services/keyedPermits.js"
import { completed, failedOutcome, inTurn, LifecycleOutcome, superseded, untilSettled } from "./attempts.js"

/** What a deletion workflow runs: the agent, the generation its deletion was requested in, the status to restore. */
export const DeletePayload = Schema.Struct({
  agentId: AgentId,
  generation: Schema.Number,
  previousStatus: Schema.String
})
export type DeletePayload = typeof DeletePayload.Type

/** The workflow, keyed by agent and generation, as the provisioning one. */
export const DeleteAgentWorkflow = Workflow.make("mission-control/DeleteAgent", {
  payload: DeletePayload,
  success: LifecycleOutcome,
  idempotencyKey: ({ agentId, generation }) => `${agentId}:${generation}`
})

/** One attempt, under the agent's run lock; a replay after a crash finds the row gone and is done. */
const attempt = (payload: DeletePayload, perGateway: KeyedPermits, onPending: Effect.Effect<void>) =>
  Effect.gen(function*() {
    const agents = yield* AgentRepository
    const found = yield* agents.findById(payload.agentId)
    if (Option.isNone(found)) return completed
    if (found.value.lifecycleGeneration !== payload.generation) return superseded
    const gateway = yield* gatewayOf(found.value).pipe(
      Effect.catchTag("NotFound", () => Effect.succeed(Option.none()))
    )
    const removal = removeAgent(found.value, gateway, { _tag: "durable", previousStatus: payload.previousStatus })
    const inItsTurn = Option.isSome(gateway)
      ? inTurn(perGateway, gateway.value.id, payload.agentId, "Gateway delete pending", onPending)(removal)
      : removal
    return yield* inItsTurn.pipe(
      Effect.as(completed),
      Effect.catchTags(failedOutcome)
    )
  }).pipe(withAgentRunLock(payload.agentId))

/** The workflow's single activity: the attempts, recorded once they end the work. */
export const deleteActivity = (payload: DeletePayload, onPending: Effect.Effect<void>, perGateway: KeyedPermits) =>
  Activity.make({
    name: "remove",
    success: LifecycleOutcome,
    execute: untilSettled(attempt(payload, perGateway, onPending), onPending)
  })
