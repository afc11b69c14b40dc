// The fleet gauge: agents by computed status per gateway and board, counted from the repository when asked (a
// scrape, a schedule), never on the write path. The repositories list agents per gateway only, so the gateways
// counted are those of the organizations the host names, and every gateway this process has a metric series of
// (its agents' heartbeats, its calls, its provisioning, its syncs, an earlier count).

import { Clock, Context, DateTime, Duration, Effect, Layer, Metric, Schedule, Schema } from "effect"
import { computedStatus } from "../domain/identity.js"
import { GatewayId } from "../domain/ids.js"
import type { OrganizationId } from "../domain/ids.js"
import type { DatabaseUnavailable } from "../errors.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { AttributeKey } from "./attributes.js"
import { agentsGauge, MetricName } from "./metrics.js"

/** Which gateways the fleet gauge counts, and how often it may be recounted. */
export interface FleetOptions {
  /** Organizations whose gateways are always counted, even before this process has seen them. */
  readonly organizationIds?: ReadonlyArray<OrganizationId> | undefined
  /** A recount within this long of the previous one is skipped. Default 10 seconds. */
  readonly minInterval?: Duration.Input | undefined
}

// Agents may report any status in a heartbeat; the gauge keeps the known ones and counts the rest as `other`, so
// its series stay few.
const knownStatuses: ReadonlySet<string> = new Set(["provisioning", "updating", "online", "offline", "deleting"])
const statusLabel = (status: string): string => knownStatuses.has(status) ? status : "other"

/** When each metric registry's gauge was last counted (one registry per process, unless a test brings its own). */
const countedAt = new WeakMap<Metric.MetricRegistry, number>()

const isGatewayId = Schema.is(GatewayId)

const gatewaysWithSeries = (snapshot: ReadonlyArray<Metric.Metric.Snapshot>): ReadonlySet<GatewayId> => {
  const ids = new Set<GatewayId>()
  for (const series of snapshot) {
    const id = series.attributes?.[AttributeKey.gatewayId]
    if (isGatewayId(id)) ids.add(id)
  }
  return ids
}

/**
 * Counts the agents of the known gateways by computed status and sets the fleet gauge
 * (`mission_control.agents`); series of a gateway, board or status with no agent any more are removed. One agent
 * listing per gateway, at most once per `minInterval`.
 */
export const refreshFleetGauge = (
  options: FleetOptions = {}
): Effect.Effect<void, DatabaseUnavailable, AgentRepository | GatewayRepository> =>
  Effect.gen(function*() {
    const context = yield* Effect.context<never>()
    const registry = Context.get(context, Metric.MetricRegistry)
    const nowMillis = yield* Clock.currentTimeMillis
    const previous = countedAt.get(registry)
    const minInterval = Duration.toMillis(Duration.fromInputUnsafe(options.minInterval ?? "10 seconds"))
    if (previous !== undefined && nowMillis - previous < minInterval) return
    countedAt.set(registry, nowMillis)

    const agents = yield* AgentRepository
    const gateways = yield* GatewayRepository
    const known = new Set<GatewayId>(gatewaysWithSeries(Metric.snapshotUnsafe(context)))
    for (const organizationId of options.organizationIds ?? []) {
      for (const id of yield* gateways.listIdsByOrganization(organizationId)) known.add(id)
    }
    const at = DateTime.makeUnsafe(nowMillis)
    const counts = new Map<Metric.Gauge<number>, number>()
    const listed = yield* Effect.forEach(known, (id) => agents.listByGateway(id), { concurrency: 4 })
    for (const fleet of listed) {
      for (const agent of fleet) {
        const series = agentsGauge(agent.gatewayId, agent.boardId, statusLabel(computedStatus(agent, at)))
        counts.set(series, (counts.get(series) ?? 0) + 1)
      }
    }
    for (const series of Metric.snapshotUnsafe(context)) {
      if (series.id !== MetricName.agents) continue
      const attributes = series.attributes ?? {}
      const gatewayId = attributes[AttributeKey.gatewayId]
      const status = attributes[AttributeKey.agentStatus]
      if (gatewayId === undefined || status === undefined) continue
      const stale = agentsGauge(gatewayId, attributes[AttributeKey.boardId] ?? null, status)
      if (!counts.has(stale)) Metric.removeUnsafe(stale, context)
    }
    for (const [series, count] of counts) series.updateUnsafe(count, context)
  })

/**
 * Recounts the fleet gauge every `every` (default 30 s) for as long as the layer lives: for hosts that export
 * metrics over OTLP, where no scrape asks for a count. A failed count is logged and tried again next time.
 */
export const layerFleetRefresh = (options: FleetOptions & { readonly every?: Duration.Input | undefined } = {}) =>
  Layer.effectDiscard(
    refreshFleetGauge(options).pipe(
      Effect.catchCause((cause) => Effect.logWarning("the fleet gauge could not be counted", cause)),
      Effect.repeat(Schedule.spaced(options.every ?? "30 seconds")),
      Effect.forkScoped
    )
  )
