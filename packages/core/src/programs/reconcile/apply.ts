// Converging a gateway with the database: the plan's items, each by the program that owns that state.

import { Effect, Option } from "effect"
import { effectiveHeartbeat } from "../../domain/identity.js"
import type { AgentId } from "../../domain/ids.js"
import type { Gateway } from "../../domain/models.js"
import { annotate, gatewayAttributes } from "../../observability/attributes.js"
import { AgentRepository } from "../../services/AgentRepository.js"
import { BoardRepository } from "../../services/BoardRepository.js"
import type { HeartbeatEntry } from "../../services/GatewayControlPlane.js"
import { GatewayControlPlane } from "../../services/GatewayControlPlane.js"
import { OrganizationRepository } from "../../services/OrganizationRepository.js"
import { Settings } from "../../Settings.js"
import { gatewayTarget } from "../access.js"
import { provisionAgentRecord } from "../provisionAgentRecord.js"
import { publicGatewayErrorText, retryTransient } from "../retry.js"
import type { ReconcileAgentRef, ReconcilePlan } from "./plan.js"
import { addressOf, agentsToReprovision, planGatewayReconcile } from "./plan.js"

/** How re-provisioning one agent ended. */
export interface ReprovisionOutcome extends ReconcileAgentRef {
  readonly ok: boolean
  readonly error: string | null
}

/** What applying a plan did. */
export interface ReconcileReport {
  readonly plan: ReconcilePlan
  /** Agents re-provisioned for missing, file and token items (a new token each). */
  readonly reprovisioned: ReadonlyArray<ReprovisionOutcome>
  /** Gateway agents whose heartbeat settings were patched, in one `config.patch`. */
  readonly heartbeatsPatched: ReadonlyArray<string>
  /** Why the heartbeat patch failed; null when it did not. */
  readonly heartbeatError: string | null
  readonly orphansDeleted: ReadonlyArray<string>
  /** Orphans left on the gateway: all of them without `deleteOrphans`, else those whose deletion failed. */
  readonly orphansKept: ReadonlyArray<string>
}

/** Options of `applyGatewayReconcile`. */
export interface ReconcileOptions {
  /** Delete orphans from the gateway (with their files). Default false: they are only reported. */
  readonly deleteOrphans?: boolean | undefined
}

const reprovision = Effect.fnUntraced(function*(
  gateway: Gateway,
  ref: ReconcileAgentRef & { readonly missing: boolean }
) {
  const agents = yield* AgentRepository
  const boards = yield* BoardRepository
  const organizations = yield* OrganizationRepository
  const outcome = (error: string | null): ReprovisionOutcome => ({
    agentId: ref.agentId,
    agentName: ref.agentName,
    gatewayAgentId: ref.gatewayAgentId,
    ok: error === null,
    error
  })
  const found = yield* agents.findById(ref.agentId)
  // Deleted since the plan: nothing left to converge.
  if (Option.isNone(found)) return outcome(null)
  const agent = found.value
  const board = agent.boardId === null ? null : Option.getOrNull(yield* boards.findById(agent.boardId))
  if (agent.boardId !== null && board === null) return outcome("Board not found")
  const owner = Option.getOrNull(yield* organizations.findOwnerUser(gateway.organizationId))
  // A recreated gateway agent is new: it bootstraps and is woken. A drifted one is rewritten quietly; it reads its
  // files (and its new token) at its next heartbeat.
  return yield* provisionAgentRecord(agent.id, {
    action: "update",
    gateway,
    board,
    user: owner,
    forceBootstrap: ref.missing,
    wake: ref.missing,
    resetSession: false
  }).pipe(
    Effect.as(outcome(null)),
    Effect.catch((error) => Effect.succeed(outcome(error.detail)))
  )
})

/**
 * Plans, then converges each item: missing agents and drifted files or tokens are re-provisioned (`update`, which
 * mints a new token), heartbeat settings of the other drifted agents go to the gateway in one patch, and orphans are
 * deleted only with `deleteOrphans`. Per-agent failures are reported, not raised; a gateway that cannot be read at
 * all fails the plan (`GatewayError`, `GatewayTimeout`).
 */
export const applyGatewayReconcile = Effect.fn("applyGatewayReconcile")(function*(
  gateway: Gateway,
  options: ReconcileOptions = {}
) {
  yield* annotate(gatewayAttributes(gateway))
  const settings = yield* Settings
  const plan = yield* planGatewayReconcile(gateway)
  const targets = agentsToReprovision(plan)
  const reprovisioned = yield* Effect.forEach(targets, (ref) => reprovision(gateway, ref), {
    concurrency: settings.syncConcurrency
  })

  // Re-provisioning patched the heartbeats of its agents already.
  const done = new Set<AgentId>(targets.map((ref) => ref.agentId))
  const agents = yield* AgentRepository
  const entries: Array<HeartbeatEntry> = []
  for (const item of plan.items) {
    if (item.kind !== "heartbeat" || done.has(item.agentId)) continue
    const agent = Option.getOrNull(yield* agents.findById(item.agentId))
    if (agent === null) continue
    const { gatewayAgentId, workspace } = addressOf(agent, gateway)
    if (workspace !== undefined) {
      entries.push({ agentId: gatewayAgentId, workspace, heartbeat: effectiveHeartbeat(agent) })
    }
  }
  const target = yield* gatewayTarget(gateway)
  const client = yield* Effect.flatMap(GatewayControlPlane, (controlPlane) => controlPlane.client(target))
  const retry = retryTransient(settings.syncRetry)
  const patch = yield* Effect.result(client.patchHeartbeats(entries).pipe(retry))
  const heartbeatError = patch._tag === "Failure" ? publicGatewayErrorText(patch.failure) : null

  const orphans = plan.items.flatMap((item) => item.kind === "orphan" ? [item.gatewayAgentId] : [])
  const orphansDeleted: Array<string> = []
  const orphansKept: Array<string> = []
  for (const orphan of orphans) {
    if (options.deleteOrphans !== true) {
      orphansKept.push(orphan)
      continue
    }
    const deleted = yield* Effect.result(
      client.deleteAgent(orphan, { deleteFiles: true }).pipe(
        retry,
        Effect.catchIf((error) => error._tag === "GatewayError" && error.reason === "NotFound", () => Effect.void)
      )
    )
    if (deleted._tag === "Success") orphansDeleted.push(orphan)
    else orphansKept.push(orphan)
  }
  return {
    plan,
    reprovisioned,
    heartbeatsPatched: heartbeatError === null ? entries.map((entry) => entry.agentId) : [],
    heartbeatError,
    orphansDeleted,
    orphansKept
  } satisfies ReconcileReport
})
