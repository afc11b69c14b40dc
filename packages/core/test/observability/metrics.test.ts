// The metrics after a create, a heartbeat and a template sync, read as Prometheus text from the ready-made handler
// over a real socket.
import { assert, describe, it } from "@effect/vitest"
import { Observability, prepareAgentWatch } from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { DateTime, Duration, Effect, Exit, Layer, ManagedRuntime, Metric, Schedule, Scope } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { testLayer } from "../support/layer.js"
import { serveApi, withFreshMetrics } from "./support.js"

interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const parseSamples = (text: string): ReadonlyArray<Sample> =>
  text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).map((line) => {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match === null) throw new Error(`not a Prometheus sample: ${line}`)
    const labels: Record<string, string> = {}
    for (const label of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label[1]!] = label[2]!
    }
    return { name: match[1]!, labels, value: Number(match[3]) }
  })

/** The samples of that name whose labels include these. */
const samplesOf = (samples: ReadonlyArray<Sample>, name: string, labels: Readonly<Record<string, string>> = {}) =>
  samples.filter((sample) =>
    sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)
  )

const valueOf = (samples: ReadonlyArray<Sample>, name: string, labels: Readonly<Record<string, string>> = {}) => {
  const found = samplesOf(samples, name, labels)
  assert.strictEqual(found.length, 1, `one ${name} ${JSON.stringify(labels)} in ${JSON.stringify(samples, null, 1)}`)
  return found[0]!.value
}

/** `prometheusHandler` on a runtime of the test's own services, on a loopback port. */
const serveMetrics = Effect.gen(function*() {
  const context = yield* Effect.context<never>()
  const runtime = ManagedRuntime.make(Layer.succeedContext(context))
  const server = createServer(Observability.prometheusHandler(runtime, { minInterval: 0 }))
  yield* Effect.acquireRelease(
    Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))),
    () => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
  )
  const { port } = server.address() as AddressInfo
  return (method = "GET") =>
    Effect.promise(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
        method,
        signal: AbortSignal.timeout(5_000)
      })
      return { status: response.status, type: response.headers.get("content-type"), text: await response.text() }
    })
})

const tokenIn = (content: string | undefined) => /^AUTH_TOKEN=(.*)$/m.exec(content ?? "")?.[1]

describe("metrics", () => {
  it.live("after a create, a heartbeat and a sync: heartbeats, provisioning, sync, fleet and subscriber series", () =>
    withFreshMetrics(
      Effect.gen(function*() {
        const world = yield* Fixtures.world()
        const send = yield* serveApi(world.owner)
        const scrape = yield* serveMetrics
        const gw = { mission_control_gateway_id: world.gateway.id }

        const ids: Array<string> = []
        for (const name of ["Scout", "Idle"]) {
          const created = yield* send("POST", "/api/v1/agents", { body: { board_id: world.board.id, name } })
          assert.strictEqual(created.status, 200, created.body)
          ids.push(JSON.parse(created.body).id)
        }
        const memory = yield* MemoryGateway
        const token = tokenIn(memory.file(world.gateway.id, `mc-${ids[0]}`, "TOOLS.md"))!
        const beat = yield* send("POST", "/api/v1/agent/heartbeat", { body: { name: "Scout" }, agentToken: token })
        assert.strictEqual(beat.status, 200, beat.body)
        const synced = yield* send("POST", `/api/v1/gateways/${world.gateway.id}/templates/sync`)
        assert.strictEqual(synced.status, 200, synced.body)

        const watching = yield* Scope.make()
        yield* Effect.flatMap(prepareAgentWatch(world.owner, {}), (open) => open).pipe(Scope.provide(watching))

        const scraped = yield* scrape()
        assert.strictEqual(scraped.status, 200)
        assert.strictEqual(scraped.type, Observability.prometheusContentType)
        const text = scraped.text
        assert.include(text, "# TYPE mission_control_agent_heartbeats_total counter")
        assert.notInclude(text, "rpc_client_duration_seconds") // the memory gateway makes no RPC
        assert.include(text, "# TYPE mission_control_agent_provisioning_duration_seconds histogram")
        assert.include(text, "# TYPE mission_control_agents gauge")
        const samples = parseSamples(text)

        assert.strictEqual(valueOf(samples, "mission_control_agent_heartbeats_total", gw), 1)
        // The two workers, then the gateway agent the sync route provisions first.
        assert.strictEqual(
          valueOf(samples, "mission_control_agent_provisioning_duration_seconds_count", {
            ...gw,
            mission_control_provision_action: "provision",
            mission_control_outcome: "completed"
          }),
          3
        )
        assert.isAbove(
          samplesOf(samples, "mission_control_agent_provisioning_duration_seconds_bucket", { ...gw, le: "+Inf" })
            .length,
          0
        )
        assert.strictEqual(
          valueOf(samples, "mission_control_template_sync_duration_seconds_count", {
            ...gw,
            mission_control_outcome: "completed"
          }),
          1
        )
        assert.strictEqual(
          valueOf(samples, "mission_control_template_sync_agents_total", { ...gw, mission_control_outcome: "updated" }),
          3
        )

        // The fleet gauge, counted for this scrape: Scout sent a heartbeat, Idle never did, nor the gateway agent.
        const board = { ...gw, mission_control_board_id: world.board.id }
        assert.strictEqual(
          valueOf(samples, "mission_control_agents", { ...board, mission_control_agent_status: "online" }),
          1
        )
        assert.strictEqual(
          valueOf(samples, "mission_control_agents", { ...board, mission_control_agent_status: "provisioning" }),
          1
        )
        const main = samplesOf(samples, "mission_control_agents", gw).filter((sample) =>
          sample.labels["mission_control_board_id"] === undefined
        )
        assert.deepStrictEqual(main.map((sample) => [sample.labels["mission_control_agent_status"], sample.value]), [[
          "provisioning",
          1
        ]])
        assert.strictEqual(valueOf(samples, "mission_control_agent_changes_subscribers"), 1)
        assert.notInclude(text, token)

        // The watch closed, Idle deleted: the subscriber is gone, and so is the board's `provisioning` series.
        yield* Scope.close(watching, Exit.void)
        const deleted = yield* send("DELETE", `/api/v1/agents/${ids[1]}`)
        assert.strictEqual(deleted.status, 200, deleted.body)
        const after = parseSamples((yield* scrape()).text)
        assert.strictEqual(valueOf(after, "mission_control_agent_changes_subscribers"), 0)
        assert.deepStrictEqual(
          samplesOf(after, "mission_control_agents", board).map((sample) =>
            sample.labels["mission_control_agent_status"]
          ),
          ["online"]
        )

        const refused = yield* scrape("POST")
        assert.strictEqual(refused.status, 405)
      }).pipe(Effect.provide(testLayer()))
    ))

  it.live("layerFleetRefresh counts the named organizations' gateways on a schedule; offline, and unknown statuses", () =>
    withFreshMetrics(
      Effect.gen(function*() {
        const { other } = yield* Fixtures.world()
        const longAgo = DateTime.subtractDuration(yield* DateTime.now, Duration.minutes(20))
        yield* Fixtures.agent({ gatewayId: other.gateway.id, boardId: other.board.id, lastSeenAt: longAgo })
        yield* Fixtures.agent({ gatewayId: other.gateway.id, boardId: other.board.id, status: "busy" })
        // Nothing of this gateway is in the registry: only the organization's name makes it counted.
        yield* Layer.build(
          Observability.layerFleetRefresh({
            every: "20 millis",
            minInterval: 0,
            organizationIds: [other.organization.id]
          })
        )
        const counted = yield* Metric.snapshot.pipe(
          Effect.map((series) => series.filter((one) => one.id === Observability.MetricName.agents)),
          Effect.repeat({ until: (series) => series.length >= 2, schedule: Schedule.spaced("20 millis") }),
          Effect.timeout("5 seconds")
        )
        const byStatus = counted.map((series) => [
          series.attributes?.[Observability.AttributeKey.agentStatus],
          series.attributes?.[Observability.AttributeKey.boardId],
          series.type === "Gauge" ? series.state.value : undefined
        ])
        assert.sameDeepMembers(byStatus, [["offline", other.board.id, 1], ["other", other.board.id, 1]])
      }).pipe(Effect.provide(testLayer()))
    ))
})
