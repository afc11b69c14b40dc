import { Schema } from "effect"
import type { ReconcileReport } from "../programs/reconcile/apply.js"
import type { ForeignAgent, ReconcileAgentRef, ReconcileItem, ReconcilePlan } from "../programs/reconcile/plan.js"
import { JsonObject } from "./models.js"

// The reconciler routes' bodies (`/gateways/{gateway_id}/reconcile`), snake_case like every other body.

/**
 * One difference. `agent_id`/`agent_name` are null for orphans; `file` and `reason` are set for `file` (`missing`,
 * `differs`) and `token` (`missing`, `mismatch`) items; `current`/`wanted` for `heartbeat` items.
 */
export const ReconcileItemRead = Schema.Struct({
  kind: Schema.Literals(["orphan", "missing", "file", "token", "heartbeat"]),
  gateway_agent_id: Schema.String,
  agent_id: Schema.NullOr(Schema.String),
  agent_name: Schema.NullOr(Schema.String),
  workspace: Schema.NullOr(Schema.String),
  file: Schema.NullOr(Schema.String),
  reason: Schema.NullOr(Schema.String),
  current: Schema.NullOr(JsonObject),
  wanted: Schema.NullOr(JsonObject)
})
export type ReconcileItemRead = typeof ReconcileItemRead.Type

/** An agent of the database as the reconciler names it. */
export const ReconcileAgentRead = Schema.Struct({
  agent_id: Schema.String,
  agent_name: Schema.String,
  gateway_agent_id: Schema.String
})

/** A gateway agent that is not Mission Control's. */
export const ForeignAgentRead = Schema.Struct({
  gateway_agent_id: Schema.String,
  name: Schema.NullOr(Schema.String),
  workspace: Schema.NullOr(Schema.String)
})

/** `GET /gateways/{gateway_id}/reconcile`: what differs; nothing is changed. */
export const ReconcilePlanRead = Schema.Struct({
  gateway_id: Schema.String,
  in_sync: Schema.Boolean,
  items: Schema.Array(ReconcileItemRead),
  foreign: Schema.Array(ForeignAgentRead),
  pending: Schema.Array(ReconcileAgentRead)
})
export type ReconcilePlanRead = typeof ReconcilePlanRead.Type

/** How re-provisioning one agent ended. */
export const ReprovisionRead = Schema.Struct({
  agent_id: Schema.String,
  agent_name: Schema.String,
  gateway_agent_id: Schema.String,
  ok: Schema.Boolean,
  error: Schema.NullOr(Schema.String)
})

/** `POST /gateways/{gateway_id}/reconcile`: the plan found, and what was done about it. */
export const ReconcileResultRead = Schema.Struct({
  gateway_id: Schema.String,
  plan: ReconcilePlanRead,
  reprovisioned: Schema.Array(ReprovisionRead),
  heartbeats_patched: Schema.Array(Schema.String),
  heartbeat_error: Schema.NullOr(Schema.String),
  orphans_deleted: Schema.Array(Schema.String),
  orphans_kept: Schema.Array(Schema.String)
})
export type ReconcileResultRead = typeof ReconcileResultRead.Type

const emptyItem = {
  agent_id: null,
  agent_name: null,
  workspace: null,
  file: null,
  reason: null,
  current: null,
  wanted: null
} as const

const agentFields = (ref: ReconcileAgentRef) => ({ agent_id: ref.agentId, agent_name: ref.agentName })

/** One plan item on the wire. */
export const toReconcileItemRead = (item: ReconcileItem): ReconcileItemRead => {
  const base = { ...emptyItem, kind: item.kind, gateway_agent_id: item.gatewayAgentId }
  switch (item.kind) {
    case "orphan":
      return { ...base, workspace: item.workspace }
    case "missing":
      return { ...base, ...agentFields(item) }
    case "file":
    case "token":
      return { ...base, ...agentFields(item), file: item.file, reason: item.reason }
    case "heartbeat":
      return { ...base, ...agentFields(item), current: item.current, wanted: item.wanted }
  }
}

const toForeignAgentRead = (agent: ForeignAgent) => ({
  gateway_agent_id: agent.gatewayAgentId,
  name: agent.name,
  workspace: agent.workspace
})

const toReconcileAgentRead = (ref: ReconcileAgentRef) => ({ ...agentFields(ref), gateway_agent_id: ref.gatewayAgentId })

/** A plan on the wire. */
export const toReconcilePlanRead = (plan: ReconcilePlan): ReconcilePlanRead => ({
  gateway_id: plan.gatewayId,
  in_sync: plan.items.length === 0,
  items: plan.items.map(toReconcileItemRead),
  foreign: plan.foreign.map(toForeignAgentRead),
  pending: plan.pending.map(toReconcileAgentRead)
})

/** What applying did, on the wire. */
export const toReconcileResultRead = (report: ReconcileReport): ReconcileResultRead => ({
  gateway_id: report.plan.gatewayId,
  plan: toReconcilePlanRead(report.plan),
  reprovisioned: report.reprovisioned.map((outcome) => ({
    ...toReconcileAgentRead(outcome),
    ok: outcome.ok,
    error: outcome.error
  })),
  heartbeats_patched: report.heartbeatsPatched,
  heartbeat_error: report.heartbeatError,
  orphans_deleted: report.orphansDeleted,
  orphans_kept: report.orphansKept
})
