import { afterEach, assert, describe, it } from "@effect/vitest"
import type { GatewayActivity } from "@mission-control/core"
import { makeClient, makeConnection } from "@mission-control/gateway-rpc"
import type { ConnectionOptions } from "@mission-control/gateway-rpc"
import type { GatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { healthPayload, runEvents, startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { DateTime, Effect, Fiber, Redacted, Stream } from "effect"
import { activityEvents, decodeActivity } from "../src/activity.js"

const running: Array<GatewaySimulator> = []
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop()
})

const start = async () => {
  const simulator = await startGatewaySimulator()
  running.push(simulator)
  return simulator
}

const connect = (simulator: GatewaySimulator, options: Partial<ConnectionOptions> = {}) =>
  makeConnection({
    url: simulator.url,
    token: simulator.token === null ? null : Redacted.make(simulator.token),
    ...options
  })

const pause = (millis: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

/** Waits until a client is connected and subscribed: a `tick` (no activity) reaches it. */
const connected = (simulator: GatewaySimulator) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (simulator.emit("tick", { ts: Date.now() }) > 0) return
      yield* pause(10)
    }
    assert.fail("no client connected")
  })

const shown = (activity: ReadonlyArray<GatewayActivity>) => activity.map((item) => `${item.kind} ${item.agentId}`)

describe("gateway activity events", () => {
  it.live("decodes the health, agent and chat events of today's gateway over the WebSocket; others show nothing", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(start)
      const client = makeClient(yield* connect(simulator))
      const collecting = yield* Effect.forkChild(client.events.pipe(Stream.take(6), Stream.runCollect))
      yield* connected(simulator)
      const older = Date.now() - 60_000
      const newer = Date.now() - 5_000
      simulator.emitHealth([
        { agentId: "main", sessions: [] },
        {
          agentId: "mc-worker",
          sessions: [{ key: "agent:mc-worker:main", updatedAt: older }, {
            key: "agent:mc-worker:board:1",
            updatedAt: newer
          }]
        }
      ])
      simulator.emitRun({ sessionKey: "agent:mc-lead:main", reply: "Done: 3 tasks triaged." })
      // A run that fails, the gateway's own events and shapes it does not send show no activity.
      simulator.emitRun({ sessionKey: "agent:mc-broken:main", fails: true })
      simulator.emit("presence", [{ host: "gateway", mode: "gateway", ts: Date.now() }])
      simulator.emit("agent", "not an object")
      simulator.emit("agent", { runId: "r", stream: "assistant", data: {}, sessionKey: 42 })
      simulator.emit("chat", { runId: "r", sessionKey: "agent:mc-lead:main", state: "status", phase: "starting_model" })
      simulator.emit("health", {
        ok: true,
        agents: [{ agentId: "mc-worker", sessions: { recent: [{ updatedAt: "x" }] } }]
      })
      simulator.emitRun({ sessionKey: "agent:mc-last:main", isHeartbeat: true })

      const activity = [...(yield* Fiber.join(collecting))]
      assert.deepStrictEqual(shown(activity), [
        "health mc-worker",
        "agent mc-lead",
        "chat mc-lead",
        "agent mc-lead",
        "chat mc-lead",
        "agent mc-last"
      ])
      assert.strictEqual(DateTime.toEpochMillis(activity[0]!.at), newer)
    }))

  it.live("goes on across a reconnect, and fails once the gateway cannot be reached", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(start)
      const connection = yield* connect(simulator, { reconnectWait: "300 millis" })
      const seen: Array<GatewayActivity> = []
      const watching = yield* Effect.forkChild(
        activityEvents(connection, { keepAliveInterval: "100 millis" }).pipe(
          Stream.runForEach((item) => Effect.sync(() => seen.push(item))),
          Effect.flip
        )
      )
      yield* connected(simulator)
      simulator.emitRun({ sessionKey: "agent:mc-one:main" })
      simulator.dropConnections(1012)
      yield* connected(simulator)
      simulator.emitRun({ sessionKey: "agent:mc-two:main" })
      for (let attempt = 0; attempt < 200 && seen.length < 8; attempt++) yield* pause(10)
      const run = (agentId: string) => [`agent ${agentId}`, `chat ${agentId}`, `agent ${agentId}`, `chat ${agentId}`]
      assert.deepStrictEqual(shown(seen), [...run("mc-one"), ...run("mc-two")])

      yield* Effect.promise(() => running.pop()!.stop())
      const error = yield* Fiber.join(watching)
      assert.strictEqual(error.reason, "Transport")
    }))

  it("dates activity by the gateway's clock, never later than its arrival; unknown shapes show none", () => {
    const received = 1_800_000_000_000
    const frame = (event: string, payload: unknown) => ({ type: "event" as const, event, payload })
    const [health] = decodeActivity(
      frame(
        "health",
        healthPayload([{
          agentId: "MC-Worker",
          sessions: [{ key: "agent:mc-worker:main", updatedAt: received - 1_000 }]
        }], received)
      ),
      received
    )
    assert.deepStrictEqual([health?.agentId, health && DateTime.toEpochMillis(health.at)], [
      "mc-worker",
      received - 1_000
    ])
    const ahead = runEvents({ sessionKey: "agent:mc-worker:main" }, received + 60_000)
    const times = ahead.flatMap(([event, payload]) => decodeActivity(frame(event, payload), received))
      .map((item) => DateTime.toEpochMillis(item.at))
    assert.deepStrictEqual(times, [received, received, received, received])
    for (
      const payload of [null, [], "x", { agents: "none" }, {
        agents: [null, { agentId: 1 }, { agentId: "a", sessions: [] }]
      }]
    ) {
      assert.deepStrictEqual(decodeActivity(frame("health", payload), received), [])
      assert.deepStrictEqual(decodeActivity(frame("agent", payload), received), [])
      assert.deepStrictEqual(decodeActivity(frame("chat", payload), received), [])
    }
    // A session key that names no agent: the payload's `agentId` says whose run it is.
    const global = decodeActivity(
      frame("chat", { runId: "r", sessionKey: "global", agentId: "ops", state: "final" }),
      received
    )
    assert.deepStrictEqual(global.map((item) => item.agentId), ["ops"])
  })
})
