// The provisioning state machine of an agent record: requested (`provisionAction` set, status `provisioning` or
// `updating`), then completed (token digest stored, `online`) or failed (previous status back, error recorded), with
// its activity entries. The gateway side of a run is `applyAgentLifecycle`'s (workspaceLifecycle.ts).

import { DateTime, Effect, Option, Schema } from "effect"
import { defaultHeartbeatConfig } from "../domain/identity.js"
import type { AgentId } from "../domain/ids.js"
import type { Agent, Board, Gateway, User } from "../domain/models.js"
import type { GatewayTimeout } from "../errors.js"
import { GatewayFailure, Internal, NotFound, reason, Unprocessable } from "../errors.js"
import { DurableLifecycle } from "../lifecycle/DurableLifecycle.js"
import { annotate, AttributeKey, gatewayAttributes } from "../observability/attributes.js"
import type { ProvisioningOutcome } from "../observability/metrics.js"
import { recordProvisioning, stopwatch } from "../observability/metrics.js"
import { AgentLocks } from "../services/AgentLocks.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { AgentTokens } from "../services/AgentTokens.js"
import type { GatewayError } from "../services/GatewayControlPlane.js"
import { isTransientGatewayError } from "../services/GatewayControlPlane.js"
import { OrganizationRepository } from "../services/OrganizationRepository.js"
import { Transactor } from "../services/Transactor.js"
import { Settings } from "../Settings.js"
import { rotatedToken } from "./agentAuth.js"
import { actionLabel, dieOnDuplicate, newUuid, now, recordActivity, runToCompletion } from "./common.js"
import { retryTransient } from "./retry.js"
import type { ProvisioningFault } from "./workspaceLifecycle.js"
import { applyAgentLifecycle, provisioningSessionKey } from "./workspaceLifecycle.js"

/** What to provision an agent record for. */
export interface ProvisionRequest {
  /** `provision` for new agents, `update` for changed ones. */
  readonly action: "provision" | "update"
  readonly gateway: Gateway
  /** The agent's board; null for the gateway-main agent. */
  readonly board: Board | null
  /** The user whose profile USER.md shows; main agents fall back to the organization's owner. */
  readonly user: User | null
  readonly forceBootstrap?: boolean
  readonly resetSession?: boolean
  readonly wake?: boolean
  readonly deliverWakeup?: boolean
  readonly wakeupVerb?: string | null
  /** Skip the run when another caller completed the agent's provisioning meanwhile. */
  readonly onlyIfPending?: boolean
}

/** True while a provisioning of the agent was requested and has not completed. */
export const isProvisionPending = (agent: Agent): boolean =>
  agent.provisionAction !== null || agent.agentTokenDigest === null

const pastTense = (action: string): string => action.endsWith("e") ? `${action}d` : `${action}ed`
const gerund = (action: string): string => action.endsWith("e") ? `${action.slice(0, -1)}ing` : `${action}ing`

/** The gateway side of one provisioning run, as `runProvisioning` performs it. */
export interface ProvisionRun {
  readonly action: "provision" | "update"
  readonly gateway: Gateway
  readonly board: Board | null
  readonly user: User | null
  /** The status the record had before the run was requested: a failed run restores it. */
  readonly previousStatus: string
  readonly forceBootstrap: boolean
  readonly resetSession: boolean
  readonly wake: boolean
  readonly deliverWakeup: boolean
  readonly wakeupVerb: string | null
  /** The wakeup's idempotency key at the gateway: a replayed run sends the same one. */
  readonly idempotencyKey: string
}

/**
 * The failure of an attempt of a durable run that the gateway being unreachable (or restarting) caused: the record
 * stays requested, with the error kept, and the workflow tries again.
 */
export class ProvisioningPending extends Schema.TaggedError<ProvisioningPending>()("ProvisioningPending", {
  detail: Schema.String
}) {}

/**
 * Provisions an agent record on its gateway under the agent's lock: mints a fresh token, marks the record pending,
 * converges the gateway (retrying transient errors until the deadline), then records completion and the activity in
 * one transaction. On failure the record keeps its previous status, the error is stored on it and in the activity
 * log, and the caller gets 502 `Gateway <action> failed: …` or 500 `Unexpected error <action>ing agent provisioning.`
 *
 * The new token's digest is stored only once the gateway has accepted the workspace files carrying the token: until
 * then the agent's previous token stays valid, so a failed or abandoned update never locks the agent out, and after
 * it the previous token stays valid for `Settings.tokenGracePeriod` or until the new one is used. A run that wakes
 * the agent counts the wakeup and awaits its check-in (`checkInOverdueAgents`); every run starts a new lifecycle
 * generation, which voids the check-in an earlier run awaited. The run, lock included, is not stopped by a caller
 * that goes away (a client leaving mid-request): it ends within the retry deadline, with the record completed or its
 * failure recorded.
 *
 * With `DurableLifecycle` provided, the run is a durable workflow keyed by the agent and its new generation
 * (docs/lifecycle.md): it survives the process, and while the gateway is unreachable the caller gets the record as
 * requested (`provisioning`/`updating`, `last_provision_error` saying why) and the workflow finishes the run once the
 * gateway answers again.
 *
 * The run under the lock is the span `provisionAgentRecord` (agent, board, gateway and organization ids, action,
 * outcome) and is recorded in `mission_control.agent.provisioning.duration`.
 */
export const provisionAgentRecord = Effect.fnUntraced(function*(
  agentId: AgentId,
  request: ProvisionRequest
) {
  const locks = yield* AgentLocks
  return yield* runToCompletion(locks.withLock(`agent/${agentId}`)(provisionAgentRecordLocked(agentId, request)))
})

const findAgent = (agentId: AgentId) =>
  Effect.flatMap(AgentRepository, (agents) => agents.findById(agentId)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(new NotFound({ detail: reason.notFound })),
      onSome: Effect.succeed
    }))
  )

/** `provisionAgentRecord` for a caller that already holds the agent's lock (`agent/<id>`). */
export const provisionAgentRecordLocked = Effect.fn("provisionAgentRecord")(function*(
  agentId: AgentId,
  request: ProvisionRequest
) {
  yield* annotate({
    [AttributeKey.agentId]: agentId,
    [AttributeKey.provisionAction]: request.action,
    ...gatewayAttributes(request.gateway),
    ...(request.board === null ? {} : { [AttributeKey.boardId]: request.board.id })
  })
  const agents = yield* AgentRepository

  const current = yield* findAgent(agentId)
  if (request.onlyIfPending === true && !isProvisionPending(current)) {
    yield* annotate({ [AttributeKey.outcome]: "skipped" })
    return current
  }
  if (request.board === null && current.boardId !== null) {
    return yield* new Internal({ detail: "board is required for non-main agent provisioning" })
  }
  let user = request.user
  if (request.board === null && user === null) {
    const organizations = yield* OrganizationRepository
    user = Option.getOrNull(yield* organizations.findOwnerUser(request.gateway.organizationId))
    if (user === null) {
      return yield* new Unprocessable({
        detail: "User context is required to provision the gateway main agent (org owner not found)."
      })
    }
  }
  const startedAt = yield* now
  const wake = request.wake ?? true
  const pending = yield* agents.update(agentId, {
    provisionRequestedAt: startedAt,
    provisionAction: request.action,
    status: request.action === "update" ? "updating" : "provisioning",
    heartbeatConfig: current.heartbeatConfig ?? defaultHeartbeatConfig(),
    openclawSessionId: provisioningSessionKey(current, request.gateway),
    lifecycleGeneration: current.lifecycleGeneration + 1,
    // The check-in awaited is set once the wakeup is sent; a run in progress awaits none.
    checkinDeadlineAt: null,
    ...(wake ? { wakeAttempts: current.wakeAttempts + 1, lastWakeSentAt: startedAt } : {}),
    updatedAt: startedAt
  }).pipe(
    dieOnDuplicate,
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(new NotFound({ detail: reason.notFound })),
      onSome: Effect.succeed
    }))
  )
  const options = {
    forceBootstrap: request.forceBootstrap ?? false,
    resetSession: request.resetSession ?? false,
    wake,
    deliverWakeup: request.deliverWakeup ?? true,
    wakeupVerb: request.wakeupVerb ?? null
  }

  const durable = yield* Effect.serviceOption(DurableLifecycle)
  if (Option.isSome(durable)) {
    return yield* durable.value.provision({
      agentId,
      generation: pending.lifecycleGeneration,
      action: request.action,
      previousStatus: current.status,
      userId: user?.id ?? null,
      ...options
    })
  }
  return yield* runProvisioning(pending, {
    action: request.action,
    gateway: request.gateway,
    board: request.board,
    user,
    previousStatus: current.status,
    ...options,
    idempotencyKey: yield* newUuid<string>()
  }, "final").pipe(
    // Only durable attempts are left pending.
    Effect.catchTag("ProvisioningPending", (error) => Effect.die(error))
  )
})

const isTransientFailure = (error: GatewayError | GatewayTimeout | ProvisioningFault): boolean =>
  error._tag === "GatewayTimeout" || (error._tag === "GatewayError" && isTransientGatewayError(error))

/**
 * The gateway side of a requested run and its recording: mints the token, converges the gateway, then records
 * completion or failure. `final` runs retry transient errors until `operationRetry`'s deadline and then fail; a
 * `durable` attempt retries them for `lifecycleAttempt`, then keeps the record requested with the error on it and
 * fails with `ProvisioningPending`, for its workflow to try again.
 */
export const runProvisioning = Effect.fnUntraced(function*(
  pending: Agent,
  run: ProvisionRun,
  mode: "final" | "durable"
) {
  const agents = yield* AgentRepository
  const tokens = yield* AgentTokens
  const transactor = yield* Transactor
  const settings = yield* Settings
  const agentId = pending.id
  const minted = yield* tokens.mint
  const elapsed = yield* stopwatch
  const finished = (outcome: ProvisioningOutcome) =>
    Effect.andThen(
      annotate({ [AttributeKey.outcome]: outcome }),
      recordProvisioning(run.gateway.id, run.action, outcome, elapsed())
    )
  const attempt = applyAgentLifecycle(
    pending,
    run.gateway,
    run.board,
    minted.token,
    {
      action: run.action,
      forceBootstrap: run.forceBootstrap,
      resetSession: run.resetSession,
      wake: run.wake,
      deliverWakeup: run.deliverWakeup,
      wakeupVerb: run.wakeupVerb,
      patchHeartbeat: true,
      user: run.user,
      wakeRetriedByCheckIn: mode === "durable",
      // Replaces the token of the record as read before the run, so a retry keeps the same previous token.
      onWorkspaceWritten: now.pipe(
        Effect.flatMap((at) =>
          agents.update(agentId, rotatedToken(pending, minted.digest, at, settings.tokenGracePeriod))
        ),
        Effect.orDie,
        Effect.asVoid
      )
    },
    run.idempotencyKey
  ).pipe(retryTransient(mode === "final" ? settings.operationRetry : settings.lifecycleAttempt))
  const outcome = yield* Effect.result(attempt)
  const finishedAt = yield* now
  if (outcome._tag === "Failure") {
    const error = outcome.failure
    const isGateway = error._tag !== "ProvisioningFault"
    if (mode === "durable" && isTransientFailure(error)) {
      yield* finished("pending")
      yield* agents.update(agentId, {
        lastProvisionError: `Gateway ${run.action} pending: ${error.detail}`,
        updatedAt: finishedAt
      }).pipe(dieOnDuplicate)
      return yield* Effect.fail(new ProvisioningPending({ detail: error.detail }))
    }
    yield* finished(isGateway ? "gateway_error" : "fault")
    yield* transactor.withTransaction(Effect.gen(function*() {
      yield* agents.update(agentId, {
        status: run.previousStatus === "updating" || run.previousStatus === "provisioning"
          ? (pending.lastSeenAt === null ? "provisioning" : "online")
          : run.previousStatus,
        // A durable run that failed for good is no longer pending: nothing would ever finish it.
        ...(mode === "durable" ? { provisionAction: null, provisionRequestedAt: null } : {}),
        lastProvisionError: error.detail,
        updatedAt: finishedAt
      }).pipe(dieOnDuplicate)
      yield* recordActivity(
        `agent.${run.action}.failed`,
        `${actionLabel(run.action)} message failed: ${error.detail}`,
        agentId
      )
    }))
    return yield* isGateway
      ? new GatewayFailure({ detail: `Gateway ${run.action} failed: ${error.detail}` })
      : new Internal({ detail: `Unexpected error ${gerund(run.action)} agent provisioning.` })
  }
  yield* finished("completed")
  return yield* transactor.withTransaction(Effect.gen(function*() {
    const completed = yield* agents.update(agentId, {
      agentTokenDigest: minted.digest,
      // The wakeup has just been sent: a check-in is awaited from now (see checkIn.ts).
      ...(run.wake
        ? {
          lastWakeSentAt: finishedAt,
          checkinDeadlineAt: DateTime.addDuration(finishedAt, settings.checkinDeadline)
        }
        : {}),
      status: "online",
      provisionRequestedAt: null,
      provisionAction: null,
      provisionConfirmTokenHash: null,
      lastProvisionError: null,
      updatedAt: finishedAt
    }).pipe(dieOnDuplicate)
    yield* recordActivity(
      `agent.${run.action}.direct`,
      `${actionLabel(pastTense(run.action))} directly for ${pending.name}.`,
      agentId
    )
    if (run.wake) {
      yield* recordActivity("agent.wakeup.sent", `Wakeup message sent to ${pending.name}.`, agentId)
    }
    return Option.getOrElse(completed, () => pending)
  }))
})
