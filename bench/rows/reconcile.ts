// Row 7: the reconciler's dry-run plan (`planGatewayReconcile`) for a gateway of 1,000 converged agents, on Postgres,
// the gateway simulator (2 ms per call) in a child process. Goal: no writes, one read of each kind per agent at most;
// the calls are counted by method and, per agent, by method and file.
import type { TestDatabase } from "@mission-control/adapter-pg/testing"
import { layerOnTestDatabase } from "@mission-control/adapter-pg/testing"
import type { MissionControlServices } from "@mission-control/core"
import { planGatewayReconcile, provisionAgentRecord, Settings } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import type { CallSummary } from "../remoteSimulator.js"
import { byMethod, startRemoteSimulator } from "../remoteSimulator.js"
import type { Row } from "../support.js"
import { round, time } from "../support.js"

const agentsCount = 1000
const latencyMs = 2

// Gateway methods that change nothing (of those the simulator serves); any other call is a write.
const readMethods = new Set([
  "health",
  "agents.list",
  "agents.files.list",
  "agents.files.get",
  "sessions.list",
  "chat.history",
  "config.get"
])

/**
 * The most reads of one kind any one agent got, and which kind: a kind is the method, and with `byFile` the file too
 * (`agents.files.get` of TOOLS.md and of IDENTITY.md are then two kinds).
 */
const mostReadsOfAKind = (calls: ReadonlyArray<CallSummary>, byFile: boolean) => {
  const perAgentKind = new Map<string, number>()
  for (const call of calls) {
    if (!readMethods.has(call.method) || call.agentId === null) continue
    const kind = byFile && call.method === "agents.files.get" ? `${call.method} ${call.name}` : call.method
    const key = `${call.agentId}\u0000${kind}`
    perAgentKind.set(key, (perAgentKind.get(key) ?? 0) + 1)
  }
  let most = { count: 0, kind: "none" }
  for (const [key, count] of perAgentKind) {
    if (count > most.count) most = { count, kind: key.split("\u0000")[1]! }
  }
  return most
}

export const reconcileRows = async (database: TestDatabase): Promise<ReadonlyArray<Row>> => {
  const simulator = await startRemoteSimulator({ behaviour: { latencyMs: 0, configPatchLimit: null } })
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(layerOnTestDatabase(database), TestKit.layerServices, GatewayRpc.layer()) as Layer.Layer<
      MissionControlServices
    >
  )
  try {
    const world = await runtime.runPromise(Fixtures.world({
      gateway: { url: simulator.url, token: Redacted.make(simulator.token), workspaceRoot: "/srv/bench" }
    }))
    const agentIds = await runtime.runPromise(Effect.forEach(
      Array.from({ length: agentsCount }, (_, index) => index),
      (index) =>
        Effect.map(
          Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: `Fleet ${index}` }),
          ({ agent }) => agent.id
        ),
      { concurrency: 8 }
    ))
    // Setting up, not measured: every agent provisioned (without the gateway's write limit, at no latency).
    await runtime.runPromise(Effect.forEach(agentIds, (id) =>
      provisionAgentRecord(id, {
        action: "provision",
        gateway: world.gateway,
        board: world.board,
        user: world.owner,
        wake: false
      }), { concurrency: 32, discard: true }))
    await simulator.configure({ latencyMs, configPatchLimit: { max: 30, windowMs: 60_000 } })
    const plan = () => runtime.runPromise(planGatewayReconcile(world.gateway))
    // One plan first, untimed: code paths warmed up as in a long-running server.
    await plan()
    await simulator.clearCalls()
    let result: Awaited<ReturnType<typeof plan>> | undefined
    const planMs = await time(async () => {
      result = await plan()
    })
    const calls = await simulator.calls()
    const perMethod = byMethod(calls)
    const writes = calls.filter((call) => !readMethods.has(call.method))
    const most = mostReadsOfAKind(calls, true)
    const mostByMethod = mostReadsOfAKind(calls, false)
    const filesRead = Object.entries(
      byMethod(
        calls.filter((call) => call.method === "agents.files.get").map((call) => ({ ...call, method: call.name! }))
      )
    ).map(([file, count]) => `${file} ${count}`).join(", ")
    const items = result!.items
    const concurrency = Settings.defaultValue().syncConcurrency
    const lowerBound = calls.length * latencyMs / concurrency
    const methods = Object.entries(perMethod).map(([method, count]) => `${method} ${count}`).join(", ")
    const itemKinds = Object.entries(byMethod(items.map((item) => ({ method: item.kind, agentId: null, name: null }))))
      .map(([kind, count]) => `${kind} ${count}`).join(", ") || "none"
    return [
      {
        name: `reconcile plan, ${agentsCount} converged agents, nothing to do: time (${calls.length} calls)`,
        ours: round(planMs),
        reference: round(lowerBound),
        unit: "ms",
        ratio: round(planMs / lowerBound),
        goal: "reported against calls × latency ÷ 8 agents at a time (no goal of its own)",
        meets: items.length === 0,
        note: `plan items: ${itemKinds}; pending ${result!.pending.length}, foreign ${
          result!.foreign.length
        }; calls: ${methods}; bound = ${calls.length} calls × ${latencyMs} ms ÷ ${concurrency}; Postgres, simulator in a child process`
      },
      {
        name: `reconcile plan, ${agentsCount} converged agents: most gateway reads of one kind for one agent`,
        ours: most.count,
        reference: 1,
        unit: "reads",
        ratio: round(most.count / 1),
        goal: "no writes, one read of each kind per agent at most",
        meets: writes.length === 0 && most.count <= 1,
        note: `a kind = a method, and a file for agents.files.get; writes: ${writes.length}${
          writes.length === 0 ? "" : ` (${Object.keys(byMethod(writes)).join(", ")})`
        }; most read kind: ${most.kind}; by method alone at most ${mostByMethod.count} (${mostByMethod.kind}); files read: ${filesRead}; reads of the whole gateway: ${
          calls.filter((call) => readMethods.has(call.method) && call.agentId === null).map((call) => call.method)
            .join(", ")
        }`
      }
    ]
  } finally {
    await runtime.dispose()
    await simulator.stop()
  }
}
