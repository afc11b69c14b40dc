// The background reconciler: every gateway planned and converged on a schedule, for as long as its layer lives.

import type { Duration } from "effect"
import { Cause, Effect, Layer, Option, Schedule } from "effect"
import type { GatewayId, OrganizationId } from "../../domain/ids.js"
import { GatewayRepository } from "../../services/GatewayRepository.js"
import type { ReconcileReport } from "./apply.js"
import { applyGatewayReconcile } from "./apply.js"

/**
 * Which gateways the reconciler looks after: the given ones and every gateway of the given organizations; with
 * neither, every gateway.
 */
export interface ReconcilerSelection {
  readonly organizationIds?: ReadonlyArray<OrganizationId> | undefined
  readonly gatewayIds?: ReadonlyArray<GatewayId> | undefined
}

/** How one gateway's pass ended. */
export type GatewayPassOutcome =
  | { readonly _tag: "Reconciled"; readonly gatewayId: GatewayId; readonly report: ReconcileReport }
  | { readonly _tag: "Failed"; readonly gatewayId: GatewayId; readonly detail: string }

/** The ids of the gateways a selection names (every gateway when it names none). */
export const selectedGatewayIds = Effect.fnUntraced(function*(selection: ReconcilerSelection) {
  const gateways = yield* GatewayRepository
  if (selection.gatewayIds === undefined && selection.organizationIds === undefined) return yield* gateways.listIds
  const ids = new Set<GatewayId>(selection.gatewayIds ?? [])
  for (const organizationId of selection.organizationIds ?? []) {
    for (const id of yield* gateways.listIdsByOrganization(organizationId)) ids.add(id)
  }
  return [...ids]
})

const detailOf = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  return typeof error === "object" && error !== null && "detail" in error && typeof error.detail === "string"
    ? error.detail
    : Cause.pretty(cause)
}

/**
 * One pass: each selected gateway planned and applied, orphans never deleted. Gateways go one after another (each
 * applies its own agents concurrently); a gateway's failure is logged and reported, and the others still run.
 * Gateways without a URL are skipped.
 */
export const reconcileGateways = Effect.fn("reconcileGateways")(function*(selection: ReconcilerSelection) {
  const gateways = yield* GatewayRepository
  const outcomes: Array<GatewayPassOutcome> = []
  for (const gatewayId of yield* selectedGatewayIds(selection)) {
    const found = yield* gateways.findById(gatewayId)
    if (Option.isNone(found) || found.value.url.trim() === "") continue
    const outcome = yield* applyGatewayReconcile(found.value, { deleteOrphans: false }).pipe(
      Effect.map((report): GatewayPassOutcome => ({ _tag: "Reconciled", gatewayId, report })),
      Effect.catchCause((cause) =>
        Effect.as(
          Effect.logWarning("reconciling a gateway failed", cause).pipe(Effect.annotateLogs({ gatewayId })),
          { _tag: "Failed", gatewayId, detail: detailOf(cause) } satisfies GatewayPassOutcome
        )
      )
    )
    outcomes.push(outcome)
  }
  return outcomes
})

/** Options of the background reconciler. */
export interface ReconcilerOptions extends ReconcilerSelection {
  /** Time between passes (the first runs at once). Default 5 minutes. */
  readonly interval?: Duration.Input | undefined
  /**
   * How often a gateway whose pass failed (unreachable, say) is tried again until a pass succeeds: it is reconciled
   * soon after it is back, not at the next full pass. Default 15 seconds.
   */
  readonly retryInterval?: Duration.Input | undefined
}

/**
 * The background reconciler, as one layer a host adds: a pass over the selected gateways at start and then every
 * `interval`, and the gateways whose last pass failed again every `retryInterval` until one succeeds. A failed pass
 * (the database down, say) is logged and the next one runs on schedule; the loops stop when the layer's scope closes.
 */
export const Reconciler = {
  layer: (options: ReconcilerOptions = {}) =>
    Layer.effectDiscard(Effect.gen(function*() {
      const failing = new Set<GatewayId>()
      const pass = (selection: ReconcilerSelection) =>
        reconcileGateways(selection).pipe(
          Effect.tap((outcomes) =>
            Effect.sync(() => {
              // A gateway retried and not reported (deleted, or its URL removed) is no longer ours to retry.
              for (const gatewayId of selection.gatewayIds ?? []) failing.delete(gatewayId)
              for (const outcome of outcomes) {
                if (outcome._tag === "Failed") failing.add(outcome.gatewayId)
                else failing.delete(outcome.gatewayId)
              }
            })
          ),
          Effect.catchCause((cause) => Effect.logWarning("a reconciler pass failed", cause))
        )
      yield* pass(options).pipe(Effect.repeat(Schedule.spaced(options.interval ?? "5 minutes")), Effect.forkScoped)
      yield* Effect.suspend(() => failing.size === 0 ? Effect.void : pass({ gatewayIds: [...failing] })).pipe(
        Effect.repeat(Schedule.spaced(options.retryInterval ?? "15 seconds")),
        Effect.forkScoped
      )
    }))
}
