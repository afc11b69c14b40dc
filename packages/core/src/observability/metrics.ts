// The metrics of Mission Control: Effect `Metric`s, exported over OTLP (`layerOtlp`) and as Prometheus text
// (`prometheusText`). Names and units follow OpenTelemetry's semantic conventions where one exists; the `unit`
// attribute is the metric's unit (OTLP reads it, the Prometheus text turns it into the name's suffix).

import type { Scope } from "effect"
import { Effect, Metric } from "effect"
import type { SyncOutcome } from "../domain/templateSync.js"
import { AttributeKey, gatewayRpcSystem } from "./attributes.js"

/** What each metric is called, for dashboards and alerts (Prometheus names: see docs/operations.md). */
export const MetricName = {
  agents: "mission_control.agents",
  heartbeats: "mission_control.agent.heartbeats",
  provisioningDuration: "mission_control.agent.provisioning.duration",
  templateSyncDuration: "mission_control.template_sync.duration",
  templateSyncAgents: "mission_control.template_sync.agents",
  rpcClientDuration: "rpc.client.duration",
  gatewayRpcErrors: "mission_control.gateway.rpc.errors",
  changeFeedSubscribers: "mission_control.agent_changes.subscribers"
} as const

const description = {
  agents: "Agents by computed status, per gateway and board (refreshed from the repository)",
  heartbeats: "Agent heartbeats received",
  provisioningDuration: "Duration of agent provisioning runs, by action and outcome",
  templateSyncDuration: "Duration of gateway template syncs, by outcome",
  templateSyncAgents: "Agents handled by template syncs, by outcome",
  rpcClientDuration: "Duration of gateway RPC calls",
  gatewayRpcErrors: "Failed gateway RPC calls, by method and reason",
  changeFeedSubscribers: "Open subscriptions to the agent change feed (SSE streams)"
} as const

// OpenTelemetry's default boundaries for durations in seconds, then wider ones for runs of many calls.
const callBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
const runBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
const syncBoundaries = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]

type Labels = Record<string, string>

/**
 * One metric per label set, built once and kept: updating a series built with its labels costs a registry lookup,
 * while `Metric.withAttributes` recomputes the series key on every update.
 */
const seriesOf = <M>(make: (labels: Labels) => M) => {
  const built = new Map<string, M>()
  return (key: string, labels: () => Labels): M => {
    let series = built.get(key)
    if (series === undefined) {
      series = make(labels())
      built.set(key, series)
    }
    return series
  }
}

const agentsSeries = seriesOf((labels) =>
  Metric.gauge(MetricName.agents, { description: description.agents, attributes: { unit: "{agent}", ...labels } })
)

/** The fleet gauge's series of one gateway, board (null: its gateway-main agents) and status. */
export const agentsGauge = (gatewayId: string, boardId: string | null, status: string): Metric.Gauge<number> =>
  agentsSeries(`${gatewayId} ${boardId ?? ""} ${status}`, () =>
    boardId === null
      ? { [AttributeKey.gatewayId]: gatewayId, [AttributeKey.agentStatus]: status }
      : { [AttributeKey.gatewayId]: gatewayId, [AttributeKey.boardId]: boardId, [AttributeKey.agentStatus]: status })

const heartbeatSeries = seriesOf((labels) =>
  Metric.counter(MetricName.heartbeats, {
    description: description.heartbeats,
    incremental: true,
    attributes: { unit: "{heartbeat}", ...labels }
  })
)

/**
 * Counts a heartbeat of an agent of this gateway. One step of the run loop: it is on the path every agent takes
 * every few minutes.
 */
export const countHeartbeat = (gatewayId: string): Effect.Effect<void> =>
  Effect.withFiberSucceed((fiber) =>
    heartbeatSeries(gatewayId, () => ({ [AttributeKey.gatewayId]: gatewayId })).updateUnsafe(1, fiber.context)
  )

/**
 * How a provisioning run ended: completed, failed at the gateway, failed on our side (a template, a setting), or left
 * pending for its durable workflow to try again (the gateway unreachable).
 */
export type ProvisioningOutcome = "completed" | "gateway_error" | "fault" | "pending"

const provisioningSeries = seriesOf((labels) =>
  Metric.histogram(MetricName.provisioningDuration, {
    description: description.provisioningDuration,
    boundaries: runBoundaries,
    attributes: { unit: "s", ...labels }
  })
)

/** Records a provisioning run of an agent of this gateway. */
export const recordProvisioning = (
  gatewayId: string,
  action: string,
  outcome: ProvisioningOutcome,
  seconds: number
): Effect.Effect<void> =>
  Metric.update(
    provisioningSeries(`${gatewayId} ${action} ${outcome}`, () => ({
      [AttributeKey.gatewayId]: gatewayId,
      [AttributeKey.provisionAction]: action,
      [AttributeKey.outcome]: outcome
    })),
    seconds
  )

/**
 * How a template sync ended: it went through every agent (some may have failed), a gateway timeout stopped it, or
 * it could not start (no URL, gateway unreachable, board not on the gateway).
 */
export type TemplateSyncOutcome = "completed" | "stopped" | "failed"

const syncSeries = seriesOf((labels) =>
  Metric.histogram(MetricName.templateSyncDuration, {
    description: description.templateSyncDuration,
    boundaries: syncBoundaries,
    attributes: { unit: "s", ...labels }
  })
)

/** Records a template sync of this gateway. */
export const recordTemplateSync = (
  gatewayId: string,
  outcome: TemplateSyncOutcome,
  seconds: number
): Effect.Effect<void> =>
  Metric.update(
    syncSeries(`${gatewayId} ${outcome}`, () => ({
      [AttributeKey.gatewayId]: gatewayId,
      [AttributeKey.outcome]: outcome
    })),
    seconds
  )

const syncedAgentSeries = seriesOf((labels) =>
  Metric.counter(MetricName.templateSyncAgents, {
    description: description.templateSyncAgents,
    incremental: true,
    attributes: { unit: "{agent}", ...labels }
  })
)

/** Counts an agent a template sync of this gateway handled: `updated`, `skipped` or `failed`. */
export const countSyncedAgent = (gatewayId: string, outcome: SyncOutcome): Effect.Effect<void> =>
  Metric.update(
    syncedAgentSeries(`${gatewayId} ${outcome}`, () => ({
      [AttributeKey.gatewayId]: gatewayId,
      [AttributeKey.outcome]: outcome
    })),
    1
  )

const rpcDurationSeries = seriesOf((labels) =>
  Metric.histogram(MetricName.rpcClientDuration, {
    description: description.rpcClientDuration,
    boundaries: callBoundaries,
    attributes: { unit: "s", [AttributeKey.rpcSystem]: gatewayRpcSystem, ...labels }
  })
)

const rpcErrorSeries = seriesOf((labels) =>
  Metric.counter(MetricName.gatewayRpcErrors, {
    description: description.gatewayRpcErrors,
    incremental: true,
    attributes: { unit: "{call}", [AttributeKey.rpcSystem]: gatewayRpcSystem, ...labels }
  })
)

/** Records a gateway call: its duration, and for a failed one (`errorType` its reason) the error count. */
export const recordGatewayCall = (
  gatewayId: string,
  method: string,
  seconds: number,
  errorType: string | null
): Effect.Effect<void> =>
  Effect.withFiberSucceed((fiber) => {
    const key = `${gatewayId} ${method} ${errorType ?? ""}`
    const labels = (): Labels =>
      errorType === null
        ? { [AttributeKey.gatewayId]: gatewayId, [AttributeKey.rpcMethod]: method }
        : { [AttributeKey.gatewayId]: gatewayId, [AttributeKey.rpcMethod]: method, [AttributeKey.errorType]: errorType }
    rpcDurationSeries(key, labels).updateUnsafe(seconds, fiber.context)
    if (errorType !== null) rpcErrorSeries(key, labels).updateUnsafe(1, fiber.context)
  })

const subscribers = Metric.gauge(MetricName.changeFeedSubscribers, {
  description: description.changeFeedSubscribers,
  attributes: { unit: "{subscriber}" }
})

/** Counts an open change-feed subscriber for as long as the scope lasts. */
export const trackSubscriber: Effect.Effect<void, never, Scope.Scope> = Effect.acquireRelease(
  Metric.modify(subscribers, 1),
  () => Metric.modify(subscribers, -1)
)

/** Seconds since this effect ran, read from Effect's `Clock`. */
export const stopwatch: Effect.Effect<() => number> = Effect.clockWith((clock) => {
  const started = clock.currentTimeNanosUnsafe()
  return Effect.succeed(() => Number(clock.currentTimeNanosUnsafe() - started) / 1e9)
})
