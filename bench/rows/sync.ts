// Row 2: template sync of 200 agents over the gateway simulator with 2 ms per call: our client (one multiplexed
// connection, 8 agents at a time) against a client doing what the reference does (a socket and handshake per call,
// one agent at a time), and against the lower bound (calls × latency ÷ concurrency).
import type { MissionControlServices } from "@mission-control/core"
import { provisionAgentRecord, Settings, syncGatewayTemplates } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { connectionPerCallLayer } from "../reference.js"
import type { Row } from "../support.js"
import { round, time } from "../support.js"

export const syncRows = async (): Promise<ReadonlyArray<Row>> => {
  const rows: Array<Row> = []
  const simulator = await startGatewaySimulator({ latencyMs: 2 })
  const ours = ManagedRuntime.make(Layer.merge(TestKit.layerWithoutGateway, GatewayRpc.layer()))
  const world = await ours.runPromise(Fixtures.world({
    gateway: { url: simulator.url, token: Redacted.make(simulator.token!), workspaceRoot: "/srv/bench" }
  }))
  const agentIds = []
  for (let index = 0; index < 200; index++) {
    const { agent } = await ours.runPromise(
      Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: `Agent ${index}` })
    )
    agentIds.push(agent.id)
  }
  await ours.runPromise(
    Effect.forEach(agentIds, (id) =>
      provisionAgentRecord(id, {
        action: "provision",
        gateway: world.gateway,
        board: world.board,
        user: world.owner,
        wake: false
      }), { concurrency: 8 })
  )
  const callsBefore = simulator.calls().length
  const oursMs = await time(() =>
    ours.runPromise(syncGatewayTemplates(world.gateway, { includeMain: false, concurrency: 8 }))
  )
  const ourCalls = simulator.calls().length - callsBefore
  // The same sync, the same data, through a client that opens a socket per call, one agent at a time.
  const referenceRuntime = ManagedRuntime.make(Layer.merge(
    Layer.succeedContext(await ours.context()),
    connectionPerCallLayer
  ) as Layer.Layer<MissionControlServices>)
  // One call at a time, as the reference makes them: one agent at a time, one file at a time.
  const referenceMs = await time(() =>
    referenceRuntime.runPromise(
      syncGatewayTemplates(world.gateway, { includeMain: false, concurrency: 1 }).pipe(
        Effect.provideService(Settings, { ...Settings.defaultValue(), workspaceFileConcurrency: 1 })
      )
    )
  )
  const lowerBound = ourCalls * 2 / 8
  rows.push({
    name: `template sync, 200 agents, 2 ms per call (${ourCalls} calls)`,
    ours: round(oursMs),
    reference: round(referenceMs),
    unit: "ms",
    ratio: round(referenceMs / oursMs),
    goal: "ours faster than a socket per call, sequential",
    meets: oursMs < referenceMs
  })
  rows.push({
    name: "template sync, 200 agents: ours against the lower bound (calls × latency ÷ 8 agents at a time)",
    ours: round(oursMs),
    reference: round(lowerBound),
    unit: "ms",
    ratio: round(oursMs / lowerBound),
    goal: "close to the lower bound",
    meets: oursMs < lowerBound * 3
  })
  await referenceRuntime.dispose()
  await ours.dispose()
  await simulator.stop()
  return rows
}
