// The provisioning state machine of an agent record: requested (`provisionAction` set, status `provisioning` or
// `updating`), then completed (token digest stored, `online`) or failed (previous status back, error recorded), with
// its activity entries. The gateway side of a run is `applyAgentLifecycle`'s (workspaceLifecycle.ts).

import { DateTime, Effect, Option } from "effect"
import { defaultHeartbeatConfig } from "../domain/identity.js"
import type { AgentId } from "../domain/ids.js"
import type { Agent, Board, Gateway, User } from "../domain/models.js"
import { GatewayFailure, Internal, NotFound, reason, Unprocessable } from "../errors.js"
import { annotate, AttributeKey, gatewayAttributes } from "../observability/attributes.js"
import type { ProvisioningOutcome } from "../observability/metrics.js"
import { recordProvisioning, stopwatch } from "../observability/metrics.js"
import { AgentLocks } from "../services/AgentLocks.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { AgentTokens } from "../services/AgentTokens.js"
import { OrganizationRepository } from "../services/OrganizationRepository.js"
import { Transactor } from "../services/Transactor.js"
import { Settings } from "../Settings.js"
import { rotatedToken } from "./agentAuth.js"
import { actionLabel, dieOnDuplicate, newUuid, now, recordActivity, runToCompletion } from "./common.js"
import { retryTransient } from "./retry.js"
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
  const tokens = yield* AgentTokens
  const transactor = yield* Transactor
  const settings = yield* Settings
  const notFound = () => new NotFound({ detail: reason.notFound })

  return yield* Effect.gen(function*() {
    const current = yield* agents.findById(agentId).pipe(Effect.flatMap((found) =>
      Option.match(found, {
        onNone: () => Effect.fail(notFound()),
        onSome: Effect.succeed
      })
    ))
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
    const minted = yield* tokens.mint
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
      Effect.flatMap((found) =>
        Option.match(found, {
          onNone: () => Effect.fail(notFound()),
          onSome: Effect.succeed
        })
      )
    )

    const idempotencyKey = yield* newUuid<string>()
    const elapsed = yield* stopwatch
    const finished = (outcome: ProvisioningOutcome) =>
      Effect.andThen(
        annotate({ [AttributeKey.outcome]: outcome }),
        recordProvisioning(request.gateway.id, request.action, outcome, elapsed())
      )
    const run = applyAgentLifecycle(
      pending,
      request.gateway,
      request.board,
      minted.token,
      {
        action: request.action,
        forceBootstrap: request.forceBootstrap ?? false,
        resetSession: request.resetSession ?? false,
        wake,
        deliverWakeup: request.deliverWakeup ?? true,
        wakeupVerb: request.wakeupVerb ?? null,
        patchHeartbeat: true,
        user,
        // Replaces the token of the record as read before the run, so a retry keeps the same previous token.
        onWorkspaceWritten: now.pipe(
          Effect.flatMap((at) =>
            agents.update(agentId, rotatedToken(current, minted.digest, at, settings.tokenGracePeriod))
          ),
          Effect.orDie,
          Effect.asVoid
        )
      },
      idempotencyKey
    ).pipe(retryTransient(settings.operationRetry))
    const outcome = yield* Effect.result(run)
    const finishedAt = yield* now
    if (outcome._tag === "Failure") {
      const error = outcome.failure
      const isGateway = error._tag !== "ProvisioningFault"
      yield* finished(isGateway ? "gateway_error" : "fault")
      yield* transactor.withTransaction(Effect.gen(function*() {
        yield* agents.update(agentId, {
          status: current.status === "updating" || current.status === "provisioning"
            ? (current.lastSeenAt === null ? "provisioning" : "online")
            : current.status,
          lastProvisionError: error.detail,
          updatedAt: finishedAt
        }).pipe(dieOnDuplicate)
        yield* recordActivity(
          `agent.${request.action}.failed`,
          `${actionLabel(request.action)} message failed: ${error.detail}`,
          agentId
        )
      }))
      return yield* isGateway
        ? new GatewayFailure({ detail: `Gateway ${request.action} failed: ${error.detail}` })
        : new Internal({ detail: `Unexpected error ${gerund(request.action)} agent provisioning.` })
    }
    yield* finished("completed")
    return yield* transactor.withTransaction(Effect.gen(function*() {
      const completed = yield* agents.update(agentId, {
        agentTokenDigest: minted.digest,
        // The wakeup has just been sent: a check-in is awaited from now (see checkIn.ts).
        ...(wake
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
        `agent.${request.action}.direct`,
        `${actionLabel(pastTense(request.action))} directly for ${pending.name}.`,
        agentId
      )
      if (wake) {
        yield* recordActivity("agent.wakeup.sent", `Wakeup message sent to ${pending.name}.`, agentId)
      }
      return Option.getOrElse(completed, () => pending)
    }))
  })
})
