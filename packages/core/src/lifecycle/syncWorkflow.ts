// A template sync as a durable workflow: a sync cut off by a crash runs again from the start on resume (each agent's
// step converges: files already written compare equal, a token rotated but not stored is rotated again).

import { Effect, Option, Schema } from "effect"
import { Activity, Workflow } from "effect/workflow"
import { AgentId, BoardId, GatewayId, UserId } from "../domain/ids.js"
import type { TemplateSyncSummary } from "../domain/templateSync.js"
import { NotFound, reason } from "../errors.js"
import { syncGatewayTemplates } from "../programs/templateSync.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { OrganizationRepository } from "../services/OrganizationRepository.js"

/** One sync request: its own id (a new one per request), the gateway, the admin it runs for, its options. */
export const SyncPayload = Schema.Struct({
  syncId: Schema.String,
  gatewayId: GatewayId,
  userId: Schema.NullOr(UserId),
  includeMain: Schema.Boolean,
  resetSessions: Schema.Boolean,
  rotateTokens: Schema.Boolean,
  forceBootstrap: Schema.Boolean,
  boardId: Schema.NullOr(BoardId),
  leadOnly: Schema.Boolean,
  overwrite: Schema.Boolean
})
export type SyncPayload = typeof SyncPayload.Type

const SyncProblemSchema = Schema.Struct({
  agentId: Schema.NullOr(AgentId),
  agentName: Schema.NullOr(Schema.String),
  boardId: Schema.NullOr(BoardId),
  message: Schema.String
})

/** `TemplateSyncSummary` as the workflow records it. */
export const TemplateSyncSummarySchema = Schema.Struct({
  gatewayId: GatewayId,
  includeMain: Schema.Boolean,
  resetSessions: Schema.Boolean,
  agentsUpdated: Schema.Number,
  agentsSkipped: Schema.Number,
  mainUpdated: Schema.Boolean,
  errors: Schema.Array(SyncProblemSchema),
  unsupportedFiles: Schema.Array(Schema.String)
})

/** The workflow, keyed by the sync's id. Fails `NotFound` when the gateway is gone by the time it runs. */
export const SyncTemplatesWorkflow = Workflow.make("mission-control/SyncTemplates", {
  payload: SyncPayload,
  success: TemplateSyncSummarySchema,
  error: NotFound,
  idempotencyKey: ({ gatewayId, syncId }) => `${gatewayId}:${syncId}`
})

const runSync = (payload: SyncPayload): Effect.Effect<
  TemplateSyncSummary,
  NotFound,
  Effect.Services<ReturnType<typeof syncGatewayTemplates>> | GatewayRepository | OrganizationRepository
> =>
  Effect.gen(function*() {
    const gateway = yield* Effect.flatMap(GatewayRepository, (gateways) => gateways.findById(payload.gatewayId))
    if (Option.isNone(gateway)) return yield* new NotFound({ detail: reason.notFound })
    const user = payload.userId === null
      ? null
      : Option.getOrNull(yield* Effect.flatMap(OrganizationRepository, (repo) => repo.findUser(payload.userId!)))
    return yield* syncGatewayTemplates(gateway.value, {
      user,
      includeMain: payload.includeMain,
      resetSessions: payload.resetSessions,
      rotateTokens: payload.rotateTokens,
      forceBootstrap: payload.forceBootstrap,
      boardId: payload.boardId,
      leadOnly: payload.leadOnly,
      overwrite: payload.overwrite
    })
  }).pipe(
    // The database unavailable, or a defect: not the caller's mistake, and not a summary.
    Effect.catchTag("DatabaseUnavailable", (error) => Effect.die(error))
  )

/** The workflow's single activity: the whole sync, recorded once it ends. */
export const syncActivity = (payload: SyncPayload) =>
  Activity.make({ name: "sync", success: TemplateSyncSummarySchema, error: NotFound, execute: runSync(payload) })
