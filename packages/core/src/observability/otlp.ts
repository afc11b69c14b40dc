// Export over OTLP/HTTP, on what Effect 4 ships (`effect/observability`): the runtime's spans through an OTLP
// tracer, its metrics through a periodic OTLP exporter, optionally its logs. Nothing of this runs unless the host
// adds the layer: without it spans stay Effect's native in-memory ones and metrics stay in the registry.

import type { Duration } from "effect"
import { Config, Effect, Layer, Option, Schema, SchemaIssue, Tracer } from "effect"
import type { HttpClient } from "effect/http"
import { FetchHttpClient } from "effect/http"
import { OtlpExporter, OtlpLogger, OtlpMetrics, OtlpSerialization, OtlpTracer } from "effect/observability"

/** Where and how to export. */
export interface OtlpOptions {
  /** The collector's base URL (`http://localhost:4318`): spans go to `/v1/traces`, metrics to `/v1/metrics`. */
  readonly url: string
  /** `service.name` of the resource. */
  readonly serviceName: string
  readonly serviceVersion?: string | undefined
  /** More resource attributes (`deployment.environment.name`, `service.instance.id`, …). */
  readonly resourceAttributes?: Readonly<Record<string, string>> | undefined
  /** Headers of every export request (an API key of a hosted collector). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** OTLP's encoding. Default `protobuf`, as OpenTelemetry's SDKs send. */
  readonly protocol?: "protobuf" | "json" | undefined
  /** Export spans (default true), metrics (default true), logs (default false). */
  readonly traces?: boolean | undefined
  readonly metrics?: boolean | undefined
  readonly logs?: boolean | undefined
  /**
   * The share of traces kept, from 0 to 1 (default 1): decided at each trace's root span, its children follow, and
   * a trace continued from a caller keeps the caller's decision.
   */
  readonly sampleRatio?: number | undefined
  /** How often buffered spans are sent (default 5 s) and metrics are sent (default 10 s). */
  readonly traceExportInterval?: Duration.Input | undefined
  readonly metricExportInterval?: Duration.Input | undefined
  /** How long closing the layer waits for the last export (default 3 s). */
  readonly shutdownTimeout?: Duration.Input | undefined
}

/** A tracer that keeps a share of the traces started here; children of a span follow its decision. */
const sampling = (tracer: Tracer.Tracer, ratio: number): Tracer.Tracer =>
  ratio >= 1 ? tracer : Tracer.make({
    span: (options) =>
      tracer.span(
        options.parent._tag === "None" && options.sampled ? { ...options, sampled: Math.random() < ratio } : options
      ),
    context: tracer.context
  })

/**
 * Exports the runtime's spans and metrics (and, if asked, logs) to an OTLP/HTTP collector. Add it to the layer of
 * the runtime the API and the programs run on; releasing the runtime sends what is still buffered.
 *
 * ```ts
 * const runtime = ManagedRuntime.make(Layer.mergeAll(
 *   coreLayer,
 *   Observability.layerOtlp({ url: "http://otel-collector:4318", serviceName: "mission-control" })
 * ))
 * ```
 */
export const layerOtlp = (options: OtlpOptions): Layer.Layer<OtlpExporter.Flusher> => {
  const base = options.url.replace(/\/+$/, "")
  const resource = {
    serviceName: options.serviceName,
    serviceVersion: options.serviceVersion,
    attributes: { ...options.resourceAttributes }
  }
  const headers = options.headers === undefined ? undefined : { ...options.headers }
  const ratio = Math.min(Math.max(options.sampleRatio ?? 1, 0), 1)
  const traces = Layer.effect(
    Tracer.Tracer,
    Effect.map(
      OtlpTracer.make({
        url: `${base}/v1/traces`,
        resource,
        headers,
        exportInterval: options.traceExportInterval,
        shutdownTimeout: options.shutdownTimeout
      }),
      (tracer) => sampling(tracer, ratio)
    )
  ).pipe(Layer.provideMerge(OtlpExporter.layerFlusher))
  const metrics = OtlpMetrics.layer({
    url: `${base}/v1/metrics`,
    resource,
    headers,
    exportInterval: options.metricExportInterval,
    shutdownTimeout: options.shutdownTimeout
  })
  const logs = OtlpLogger.layer({
    url: `${base}/v1/logs`,
    resource,
    headers,
    shutdownTimeout: options.shutdownTimeout
  })
  const exporters: Array<
    Layer.Layer<OtlpExporter.Flusher, never, HttpClient.HttpClient | OtlpSerialization.OtlpSerialization>
  > = []
  if (options.traces ?? true) exporters.push(traces)
  if (options.metrics ?? true) exporters.push(metrics)
  if (options.logs ?? false) exporters.push(logs)
  if (exporters.length === 0) return OtlpExporter.layerFlusher
  const [first, ...rest] = exporters
  return Layer.mergeAll(first!, ...rest).pipe(
    Layer.provide(options.protocol === "json" ? OtlpSerialization.layerJson : OtlpSerialization.layerProtobuf),
    Layer.provide(FetchHttpClient.layer)
  )
}

const decodedOrUndefined = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

/**
 * `OTEL_EXPORTER_OTLP_HEADERS`: `key=value` pairs separated by commas, values URL-encoded; `undefined` when a value
 * is not validly encoded.
 */
const parseHeaders = (text: string): Record<string, string> | undefined => {
  const headers: Record<string, string> = {}
  for (const pair of text.split(",")) {
    const at = pair.indexOf("=")
    if (at <= 0) continue
    const value = decodedOrUndefined(pair.slice(at + 1).trim())
    if (value === undefined) return undefined
    headers[pair.slice(0, at).trim()] = value
  }
  return headers
}

const OtlpHeaders = Config.String("OTEL_EXPORTER_OTLP_HEADERS").pipe(
  Config.mapEffect((text) => {
    const headers = parseHeaders(text)
    return headers === undefined
      ? Effect.fail(
        new Config.ConfigError(
          new Schema.SchemaError(
            new SchemaIssue.InvalidValue({ message: "a header value is not URL-encoded (RFC 3986 percent escapes)" })
          )
        )
      )
      : Effect.succeed(headers)
  })
)

/**
 * `layerOtlp` configured from OpenTelemetry's standard environment variables, and off (nothing exported, nothing
 * started) unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set: `OTEL_SERVICE_NAME` (else `defaults.serviceName`),
 * `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf` or `http/json`),
 * `OTEL_TRACES_SAMPLER_ARG` (the sample ratio) and `OTEL_SDK_DISABLED=true`. Read through Effect's `ConfigProvider`.
 */
export const layerOtlpFromEnv = (
  defaults: Omit<OtlpOptions, "url">
): Layer.Layer<OtlpExporter.Flusher, Config.ConfigError> =>
  Layer.unwrap(Effect.gen(function*() {
    const endpoint = yield* Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT"))
    const disabled = yield* Config.Boolean("OTEL_SDK_DISABLED").pipe(Config.withDefault(false))
    if (disabled || Option.isNone(endpoint) || endpoint.value.trim() === "") return OtlpExporter.layerFlusher
    const serviceName = yield* Config.String("OTEL_SERVICE_NAME").pipe(Config.withDefault(defaults.serviceName))
    const headers = yield* Config.option(OtlpHeaders)
    // Only OTLP over HTTP: gRPC (the variable's other value) is refused, not silently sent as http/protobuf.
    const protocol = yield* Config.option(
      Config.Literals(["http/protobuf", "http/json"], "OTEL_EXPORTER_OTLP_PROTOCOL")
    )
    const ratio = yield* Config.option(Config.Number("OTEL_TRACES_SAMPLER_ARG"))
    return layerOtlp({
      ...defaults,
      url: endpoint.value.trim(),
      serviceName,
      headers: Option.isSome(headers) ? { ...defaults.headers, ...headers.value } : defaults.headers,
      protocol: Option.isSome(protocol) ? (protocol.value === "http/json" ? "json" : "protobuf") : defaults.protocol,
      sampleRatio: Option.getOrElse(ratio, () => defaults.sampleRatio)
    })
  }))
