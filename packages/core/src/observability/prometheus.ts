// Every Effect metric of the runtime as Prometheus text (exposition format 0.0.4), with OpenTelemetry's names
// translated the way its Prometheus exporter does: dots to underscores, the unit as a suffix, `_total` on counters.

import type { ManagedRuntime } from "effect"
import { Effect, Metric, Option } from "effect"
import { HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import type { IncomingMessage, ServerResponse } from "node:http"
import { AgentRepository } from "../services/AgentRepository.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import type { FleetOptions } from "./fleet.js"
import { refreshFleetGauge } from "./fleet.js"

/** What the Prometheus text shows. */
export interface PrometheusOptions extends FleetOptions {
  /** Prepended to every metric name (`myapp` → `myapp_rpc_client_duration_seconds`). */
  readonly prefix?: string | undefined
}

/** The content type of Prometheus' text format. */
export const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

const unitSuffixes: Readonly<Record<string, string>> = {
  s: "seconds",
  ms: "milliseconds",
  By: "bytes"
}

/** A metric's Prometheus name: `rpc.client.duration` in seconds → `rpc_client_duration_seconds`. */
export const prometheusName = (series: Metric.Metric.Snapshot): string => {
  const suffix = unitSuffixes[series.attributes?.["unit"] ?? ""]
  let name = series.id.replace(/[^a-zA-Z0-9_:]/g, "_")
  if (suffix !== undefined && !name.endsWith(`_${suffix}`)) name = `${name}_${suffix}`
  if (series.type === "Counter" && !name.endsWith("_total")) name = `${name}_total`
  return name
}

/** Recounts the fleet gauge when the core's repositories are there; a failed count keeps the previous one. */
const refreshFleet = (options: FleetOptions): Effect.Effect<void> =>
  Effect.gen(function*() {
    const agents = yield* Effect.serviceOption(AgentRepository)
    const gateways = yield* Effect.serviceOption(GatewayRepository)
    if (Option.isNone(agents) || Option.isNone(gateways)) return
    yield* refreshFleetGauge(options).pipe(
      Effect.provideService(AgentRepository, agents.value),
      Effect.provideService(GatewayRepository, gateways.value),
      Effect.catchCause((cause) => Effect.logWarning("the fleet gauge could not be counted", cause))
    )
  })

/**
 * The metrics of the current context's registry as Prometheus text; the fleet gauge is recounted first (at most
 * once per `minInterval`) when the core's repositories are provided.
 */
export const prometheusText = (options: PrometheusOptions = {}): Effect.Effect<string> =>
  Effect.gen(function*() {
    yield* refreshFleet(options)
    const context = yield* Effect.context<never>()
    const names = new Map(Metric.snapshotUnsafe(context).map((series) => [series.id, prometheusName(series)]))
    return PrometheusMetrics.formatUnsafe(context, {
      prefix: options.prefix,
      metricNameMapper: (id) => names.get(id) ?? id
    })
  })

/** `prometheusText` as an Effect HTTP response, for hosts that serve Effect's `HttpRouter`. */
export const prometheusResponse = (
  options: PrometheusOptions = {}
): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  Effect.map(
    prometheusText(options),
    (text) =>
      HttpServerResponse.text(text, { contentType: prometheusContentType, headers: { "cache-control": "no-store" } })
  )

/**
 * A Node `(req, res)` handler answering `GET /metrics` (wherever it is mounted) with the runtime's metrics as
 * Prometheus text; the fleet gauge is recounted from the runtime's repositories. Mount it in Express with
 * `app.get("/metrics", prometheusHandler(runtime))`, or in `node:http` directly. Other methods answer 405; a runtime
 * that failed to build answers 503.
 */
export const prometheusHandler = <R, E>(
  runtime: ManagedRuntime.ManagedRuntime<R, E>,
  options: PrometheusOptions = {}
) =>
(req: IncomingMessage, res: ServerResponse): void => {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" })
    res.end("Method Not Allowed\n")
    return
  }
  runtime.runPromise(prometheusText(options)).then(
    (text) => {
      res.writeHead(200, { "content-type": prometheusContentType, "cache-control": "no-store" })
      res.end(req.method === "HEAD" ? undefined : text)
    },
    () => {
      if (!res.headersSent) res.writeHead(503, { "content-type": "text/plain; charset=utf-8" })
      res.end("Metrics unavailable\n")
    }
  )
}
