import { Context } from "effect"
import type { Effect } from "effect"
import type { Agent } from "../domain/models.js"
import type { TemplateSyncSummary } from "../domain/templateSync.js"
import type { DatabaseUnavailable, GatewayFailure, Internal, NotFound } from "../errors.js"
import type { DeletePayload } from "./deleteWorkflow.js"
import type { ProvisionPayload } from "./provisionWorkflow.js"
import type { SyncPayload } from "./syncWorkflow.js"
/**
 * Lifecycle work as durable workflows. Present in the context, `provisionAgentRecord` submits each requested run
 * (create, update, lead, gateway agent, re-wake, reconcile) as a `ProvisionAgentWorkflow`, `deleteAgentRecord`
 * each deletion as a `DeleteAgentWorkflow` and the template sync route each sync as a `SyncTemplatesWorkflow`, and
 * waits for it:
 * the record as completed, the run's failure as the reference answers it, or, when the run is left pending (the
 * gateway unreachable) or takes longer than `Settings.lifecycleAnswerBudget`, the record as it stands, its
 * workflow still running. Absent, runs happen inside the request, as they always did.
 */
export class DurableLifecycle extends Context.Service<DurableLifecycle, {
  readonly provision: (
    payload: ProvisionPayload
  ) => Effect.Effect<Agent, GatewayFailure | Internal | NotFound | DatabaseUnavailable>
  /** Submits a deletion (`DeleteAgentWorkflow`) and waits for it, within the same budget; pending is success. */
  readonly delete: (payload: DeletePayload) => Effect.Effect<void, GatewayFailure | Internal>
  /** Submits a template sync (`SyncTemplatesWorkflow`) and waits for its summary, however long it takes. */
  readonly sync: (payload: SyncPayload) => Effect.Effect<TemplateSyncSummary, NotFound>
}>()("@mission-control/core/DurableLifecycle") {}

/** How a durable lifecycle reaches the other processes sharing its storage. */
export interface DurableLifecycleOptions {
  /**
   * Run after each submission, so that the process owning the workflow's shard picks it up at once (the Postgres
   * adapter sends a NOTIFY); without it, it does at its next storage poll.
   */
  readonly wake?: Effect.Effect<void> | undefined
}
