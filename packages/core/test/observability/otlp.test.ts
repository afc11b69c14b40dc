// `layerOtlp` against a tiny collector on loopback that records what it is sent.
import { assert, describe, it } from "@effect/vitest"
import { Actor, AgentCreate, createAgent, Observability } from "@mission-control/core"
import { Fixtures } from "@mission-control/core/testing"
import { ConfigProvider, Effect, Layer, ManagedRuntime, Metric, Schema } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { testLayer } from "../support/layer.js"

interface Received {
  readonly path: string
  readonly contentType: string
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  readonly body: Buffer
}

/** An HTTP server on 127.0.0.1 answering 200 to everything, keeping each request. */
const collector = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<{ readonly url: string; readonly received: Array<Received>; readonly close: () => Promise<void> }>(
      (resolve) => {
        const received: Array<Received> = []
        const server = createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (chunk: Buffer) => chunks.push(chunk))
          req.on("end", () => {
            received.push({
              path: req.url ?? "",
              contentType: req.headers["content-type"] ?? "",
              headers: req.headers,
              body: Buffer.concat(chunks)
            })
            res.writeHead(200, { "content-type": "application/json" })
            res.end("{}")
          })
        })
        server.listen(0, "127.0.0.1", () =>
          resolve({
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            received,
            close: () => new Promise((done) => server.close(() => done()))
          }))
      }
    )
  ),
  (server) => Effect.promise(() => server.close())
)

const create = (boardId: string, name: string) => Schema.decodeUnknownSync(AgentCreate)({ board_id: boardId, name })

/** Creates an agent on a runtime with this exporter, then releases the runtime (which sends the rest). */
const createAndReleaseWith = <A, E>(exporter: Layer.Layer<A, E>) =>
  Effect.promise(async () => {
    const otlp = exporter.pipe(Layer.provideMerge(Layer.succeed(Metric.MetricRegistry, new Map())))
    const runtime = ManagedRuntime.make(Layer.mergeAll(testLayer(), otlp))
    try {
      return await runtime.runPromise(Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const agent = yield* createAgent(Actor.user(world.owner), create(world.board.id, "Scout"))
        return agent.id
      }))
    } finally {
      await runtime.dispose()
    }
  })

const createAndRelease = (options: Omit<Observability.OtlpOptions, "serviceName">) =>
  createAndReleaseWith(
    Observability.layerOtlp({ serviceName: "mc-test", shutdownTimeout: "2 seconds", ...options })
  )

/** `layerOtlpFromEnv` reading this environment. */
const fromEnv = (env: Record<string, string>) =>
  Observability.layerOtlpFromEnv({ serviceName: "mc-default", shutdownTimeout: "2 seconds" }).pipe(
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
  )

type AnyValue = { readonly stringValue?: string; readonly intValue?: number; readonly doubleValue?: number }
type KeyValue = { readonly key: string; readonly value: AnyValue }
const attribute = (attributes: ReadonlyArray<KeyValue>, key: string) =>
  attributes.find((entry) => entry.key === key)?.value.stringValue

describe("OTLP export", () => {
  it.live("sends spans and metrics as OTLP/JSON, with the service's name and the programs' attributes", () =>
    Effect.gen(function*() {
      const server = yield* collector
      const agentId = yield* createAndRelease({ url: server.url, protocol: "json" })

      const traces = server.received.filter((request) => request.path === "/v1/traces")
      assert.isAbove(traces.length, 0)
      assert.strictEqual(traces[0]!.contentType, "application/json")
      const spans = traces.flatMap((request) => {
        const body = JSON.parse(request.body.toString("utf8"))
        assert.strictEqual(attribute(body.resourceSpans[0].resource.attributes, "service.name"), "mc-test")
        return body.resourceSpans.flatMap((resource: { scopeSpans: Array<{ spans: Array<unknown> }> }) =>
          resource.scopeSpans.flatMap((scope) => scope.spans)
        ) as Array<{ name: string; spanId: string; parentSpanId?: string; attributes: Array<KeyValue> }>
      })
      const created = spans.find((span) => span.name === "createAgent")!
      assert.strictEqual(attribute(created.attributes, "mission_control.agent.id"), agentId)
      const provision = spans.find((span) =>
        span.name === "provisionAgentRecord" && attribute(span.attributes, "mission_control.agent.id") === agentId
      )!
      assert.strictEqual(provision.parentSpanId, created.spanId)
      assert.strictEqual(attribute(provision.attributes, "mission_control.outcome"), "completed")

      const metrics = server.received.filter((request) => request.path === "/v1/metrics")
      assert.isAbove(metrics.length, 0)
      const last = JSON.parse(metrics[metrics.length - 1]!.body.toString("utf8"))
      const exported = last.resourceMetrics[0].scopeMetrics[0].metrics as Array<
        { name: string; unit: string; histogram?: { dataPoints: Array<{ count: number }> } }
      >
      const duration = exported.find((metric) => metric.name === "mission_control.agent.provisioning.duration")!
      assert.strictEqual(duration.unit, "s")
      assert.strictEqual(duration.histogram!.dataPoints[0]!.count, 1)
    }))

  it.live("sends protobuf by default", () =>
    Effect.gen(function*() {
      const server = yield* collector
      yield* createAndRelease({ url: `${server.url}/` })
      const traces = server.received.filter((request) => request.path === "/v1/traces")
      assert.isAbove(traces.length, 0)
      assert.strictEqual(traces[0]!.contentType, "application/x-protobuf")
      // Strings are plain UTF-8 in protobuf: the service's name and the span names are in the bytes.
      const bytes = Buffer.concat(traces.map((request) => request.body))
      assert.isTrue(bytes.includes("mc-test"))
      assert.isTrue(bytes.includes("createAgent"))
      assert.isTrue(server.received.some((request) => request.path === "/v1/metrics"))
    }))

  it.live("a sample ratio of 0 sends no trace, and metrics still", () =>
    Effect.gen(function*() {
      const server = yield* collector
      yield* createAndRelease({ url: server.url, protocol: "json", sampleRatio: 0 })
      assert.isFalse(server.received.some((request) => request.path === "/v1/traces"))
      assert.isTrue(server.received.some((request) => request.path === "/v1/metrics"))
    }))

  it.live("from the environment: OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, headers, http/json", () =>
    Effect.gen(function*() {
      const server = yield* collector
      yield* createAndReleaseWith(fromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: server.url,
        OTEL_SERVICE_NAME: "mc-from-env",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=k%3D1"
      }))
      const traces = server.received.filter((request) => request.path === "/v1/traces")
      assert.isAbove(traces.length, 0)
      assert.strictEqual(traces[0]!.headers["x-api-key"], "k=1")
      const body = JSON.parse(traces[0]!.body.toString("utf8"))
      assert.strictEqual(attribute(body.resourceSpans[0].resource.attributes, "service.name"), "mc-from-env")
    }))

  it.live("from the environment: off without OTEL_EXPORTER_OTLP_ENDPOINT, or with OTEL_SDK_DISABLED", () =>
    Effect.gen(function*() {
      const server = yield* collector
      yield* createAndReleaseWith(fromEnv({}))
      yield* createAndReleaseWith(fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: server.url, OTEL_SDK_DISABLED: "true" }))
      assert.deepStrictEqual(server.received, [])
    }))

  it.live("from the environment: a malformed header or an OTLP protocol other than HTTP fails as configuration", () =>
    Effect.gen(function*() {
      for (
        const env of [
          { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1", OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=%E0%A4%A" },
          { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }
        ]
      ) {
        const error = yield* Layer.build(fromEnv(env)).pipe(Effect.scoped, Effect.flip)
        assert.strictEqual(error._tag, "ConfigError", JSON.stringify(env))
      }
    }))
})
