// What every lifecycle workflow shares: how it ends, and the loop of attempts its single activity runs.

import { DateTime, Effect, Fiber, Schedule, Schema } from "effect"
import type { AgentId } from "../domain/ids.js"
import { AgentRepository } from "../services/AgentRepository.js"
import type { KeyedPermits } from "../services/keyedPermits.js"
import { Settings } from "../Settings.js"

/**
 * How a lifecycle workflow ended: the work done, failed for good (the gateway refused, or a fault of ours), taken over
 * by a later generation, or moot (the agent, its gateway or its board is gone).
 */
export const LifecycleOutcome = Schema.Union([
  Schema.TaggedStruct("Completed", {}),
  Schema.TaggedStruct("Failed", { kind: Schema.Literals(["gateway", "fault"]), detail: Schema.String }),
  Schema.TaggedStruct("Superseded", {}),
  Schema.TaggedStruct("Gone", {})
])
export type LifecycleOutcome = typeof LifecycleOutcome.Type

export const completed: LifecycleOutcome = { _tag: "Completed" }
export const superseded: LifecycleOutcome = { _tag: "Superseded" }
export const gone: LifecycleOutcome = { _tag: "Gone" }

/** A permanent failure of an attempt as the outcome that ends its workflow. */
export const failedOutcome = {
  GatewayFailure: (error: { readonly detail: string }) =>
    Effect.succeed<LifecycleOutcome>({ _tag: "Failed", kind: "gateway", detail: error.detail }),
  Internal: (error: { readonly detail: string }) =>
    Effect.succeed<LifecycleOutcome>({ _tag: "Failed", kind: "fault", detail: error.detail })
}

/**
 * Attempts until one ends the work. While the gateway is unreachable (`ProvisioningPending`) or the database is, it
 * waits between attempts, growing to `Settings.lifecycleRetryInterval`, for as long as it takes; `onPending` is told
 * of every attempt left pending. A defect ends the work as a fault rather than failing the workflow.
 */
export const untilSettled = <E extends { readonly _tag: string }, R>(
  attempt: Effect.Effect<LifecycleOutcome, E, R>,
  onPending: Effect.Effect<void>
): Effect.Effect<LifecycleOutcome, never, R> =>
  Effect.gen(function*() {
    const settings = yield* Settings
    return yield* attempt.pipe(
      Effect.tapError((error) => error._tag === "ProvisioningPending" ? onPending : Effect.void),
      Effect.retry({
        schedule: Schedule.min([
          Schedule.exponential("500 millis"),
          Schedule.spaced(settings.lifecycleRetryInterval)
        ]).pipe(Schedule.jittered),
        while: (error) => error._tag === "ProvisioningPending" || error._tag === "DatabaseUnavailable"
      }),
      Effect.orDie,
      Effect.catchDefect((defect) =>
        Effect.as(
          Effect.logError("a durable lifecycle run ended with a fault", defect),
          { _tag: "Failed", kind: "fault", detail: "Unexpected error in agent lifecycle work." } as const
        )
      )
    )
  })

/**
 * Runs an attempt's gateway work in its turn on the gateway (`perGateway`). An attempt still waiting for its turn
 * when a down gateway would have been given up on (`lifecycleAttempt`'s deadline) records that it waits, as
 * `<pending prefix>: waiting for earlier lifecycle work on this gateway`, and tells its request (`onPending`), which
 * then answers at once rather than at the answer budget.
 */
export const inTurn = (
  perGateway: KeyedPermits,
  gatewayId: string,
  agentId: AgentId,
  pendingPrefix: string,
  onPending: Effect.Effect<void>
) =>
<A, E, R>(work: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const settings = yield* Settings
    const agents = yield* AgentRepository
    const waiting = Effect.gen(function*() {
      yield* agents.update(agentId, {
        lastProvisionError: `${pendingPrefix}: waiting for earlier lifecycle work on this gateway`,
        updatedAt: yield* DateTime.now
      })
      yield* onPending
    }).pipe(Effect.ignore, Effect.delay(settings.lifecycleAttempt.deadline))
    const notice = yield* Effect.forkChild(waiting)
    return yield* perGateway(gatewayId)(Effect.andThen(Fiber.interrupt(notice), work))
  })
