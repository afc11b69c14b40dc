import { Deferred, Effect, Exit, Layer, Option } from "effect"
import { WorkflowEngine } from "effect/workflow"
import { GatewayFailure, Internal, NotFound, reason } from "../errors.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { makeKeyedPermits } from "../services/keyedPermits.js"
import { Settings } from "../Settings.js"
import type { LifecycleOutcome } from "./attempts.js"
import { deleteActivity, DeleteAgentWorkflow } from "./deleteWorkflow.js"
import type { DurableLifecycleOptions } from "./DurableLifecycle.js"
import { DurableLifecycle } from "./DurableLifecycle.js"
import type { ProvisionPayload } from "./provisionWorkflow.js"
import { provisionActivity, ProvisionAgentWorkflow } from "./provisionWorkflow.js"
import type { SyncPayload } from "./syncWorkflow.js"
import { syncActivity, SyncTemplatesWorkflow } from "./syncWorkflow.js"

/** A lifecycle workflow's failure for good as the error its request answers with. */
const failure = (outcome: LifecycleOutcome) =>
  outcome._tag !== "Failed"
    ? Option.none()
    : Option.some(
      outcome.kind === "gateway"
        ? new GatewayFailure({ detail: outcome.detail })
        : new Internal({ detail: outcome.detail })
    )

const make = (options: DurableLifecycleOptions) =>
  Effect.gen(function*() {
    const engine = yield* WorkflowEngine.WorkflowEngine
    const agents = yield* AgentRepository
    // A burst of work on one gateway takes turns: each of its config writes reloads the gateway, and fifty attempts
    // at once starved each other past their deadlines, every retry sending its writes again.
    const perGateway = makeKeyedPermits((yield* Settings).lifecycleConcurrencyPerGateway)
    // Requests of this process waiting for a workflow, told when its attempt is left pending. A workflow running in
    // another process tells nobody here: its requests answer at the budget.
    const waiting = new Map<string, Set<Deferred.Deferred<void>>>()
    const notePending = (executionId: string) =>
      Effect.sync(() => {
        for (const deferred of waiting.get(executionId) ?? []) Deferred.doneUnsafe(deferred, Exit.void)
      })
    const register = (executionId: string, deferred: Deferred.Deferred<void>) =>
      Effect.sync(() => {
        const waiters = waiting.get(executionId) ?? new Set()
        waiters.add(deferred)
        waiting.set(executionId, waiters)
      })
    const unregister = (executionId: string, deferred: Deferred.Deferred<void>) =>
      Effect.sync(() => {
        const waiters = waiting.get(executionId)
        waiters?.delete(deferred)
        if (waiters?.size === 0) waiting.delete(executionId)
      })

    yield* Layer.build(Layer.mergeAll(
      ProvisionAgentWorkflow.toLayer((payload, executionId) =>
        Effect.gen(function*() {
          return yield* provisionActivity(payload, notePending(executionId), perGateway)
        })
      ),
      DeleteAgentWorkflow.toLayer((payload, executionId) =>
        Effect.gen(function*() {
          return yield* deleteActivity(payload, notePending(executionId), perGateway)
        })
      ),
      SyncTemplatesWorkflow.toLayer((payload) =>
        Effect.gen(function*() {
          return yield* syncActivity(payload)
        })
      )
    ))

    /**
     * Submits a workflow (joining the execution of its key when there is one), wakes the other processes, and waits
     * for the outcome until the attempt is left pending or the budget passes: none then. Stops waiting only: the
     * workflow runs on whatever the request does.
     */
    const submitAndWait = (workflow: {
      readonly executionId: Effect.Effect<string>
      readonly submit: Effect.Effect<string, never, WorkflowEngine.WorkflowEngine>
      readonly outcome: Effect.Effect<LifecycleOutcome, never, WorkflowEngine.WorkflowEngine>
    }): Effect.Effect<Option.Option<LifecycleOutcome>> =>
      Effect.gen(function*() {
        const settings = yield* Settings
        const executionId = yield* workflow.executionId
        const pending = yield* Deferred.make<void>()
        return yield* Effect.acquireUseRelease(
          register(executionId, pending),
          () =>
            Effect.gen(function*() {
              yield* workflow.submit
              if (options.wake !== undefined) yield* options.wake
              return yield* Effect.raceFirst(
                Effect.map(workflow.outcome, Option.some),
                Effect.as(Deferred.await(pending), Option.none<LifecycleOutcome>())
              ).pipe(Effect.timeoutOption(settings.lifecycleAnswerBudget), Effect.map(Option.flatten))
            }),
          () => unregister(executionId, pending)
        ).pipe(Effect.provideService(WorkflowEngine.WorkflowEngine, engine))
      })

    const provision = (payload: ProvisionPayload) =>
      Effect.gen(function*() {
        const outcome = yield* submitAndWait({
          executionId: ProvisionAgentWorkflow.executionId(payload),
          submit: ProvisionAgentWorkflow.execute(payload, { discard: true }),
          outcome: ProvisionAgentWorkflow.execute(payload)
        })
        if (Option.isSome(outcome)) {
          if (outcome.value._tag === "Gone") return yield* new NotFound({ detail: reason.notFound })
          const failed = failure(outcome.value)
          if (Option.isSome(failed)) return yield* Effect.fail(failed.value)
        }
        // Completed, taken over by a later run, or still pending: the record as it stands.
        const current = yield* agents.findById(payload.agentId)
        if (Option.isNone(current)) return yield* new NotFound({ detail: reason.notFound })
        return current.value
      })

    return DurableLifecycle.of({
      provision,
      delete: (payload) =>
        Effect.gen(function*() {
          const outcome = yield* submitAndWait({
            executionId: DeleteAgentWorkflow.executionId(payload),
            submit: DeleteAgentWorkflow.execute(payload, { discard: true }),
            outcome: DeleteAgentWorkflow.execute(payload)
          })
          const failed = Option.flatMap(outcome, failure)
          if (Option.isSome(failed)) return yield* Effect.fail(failed.value)
        }),
      sync: (payload: SyncPayload) =>
        Effect.gen(function*() {
          yield* SyncTemplatesWorkflow.execute(payload, { discard: true })
          if (options.wake !== undefined) yield* options.wake
          return yield* SyncTemplatesWorkflow.execute(payload)
        }).pipe(Effect.provideService(WorkflowEngine.WorkflowEngine, engine))
    })
  })

/**
 * `DurableLifecycle` on the workflow engine in the context: the Postgres adapter's cluster engine
 * (`PgLifecycle.layer`), or `WorkflowEngine.layerMemory` for tests (not durable: a process that ends loses its work).
 * Registers the workflows; their runs use the core services of the context the layer is built in.
 */
export const layerDurableLifecycle = (options: DurableLifecycleOptions = {}) =>
  Layer.effect(DurableLifecycle, make(options))
