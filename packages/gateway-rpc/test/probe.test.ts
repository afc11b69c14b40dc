// `GatewayControlPlane.probe`: a client on a connection of its own, closed with its scope, that leaves the pool and
// its connections alone.
import { afterEach, assert, describe, it } from "@effect/vitest"
import type { GatewayId, GatewayTarget } from "@mission-control/core"
import { GatewayControlPlane } from "@mission-control/core"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import type { GatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { Effect, Redacted, Schedule } from "effect"

const running: Array<GatewaySimulator> = []
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop()
})

const start = async () => {
  const simulator = await startGatewaySimulator()
  running.push(simulator)
  return simulator
}

const target = (simulator: GatewaySimulator, options: Partial<GatewayTarget> = {}): GatewayTarget => ({
  gatewayId: "5b0e8f3c-1a2b-4c3d-8e4f-000000000002" as GatewayId,
  url: simulator.url,
  token: Redacted.make(simulator.token!),
  allowInsecureTls: false,
  disableDevicePairing: false,
  ...options
})

const pool = GatewayRpc.layer({ reconnectWait: "1 second" })

// The simulator sees a socket close a moment after the client closes it.
const openConnectionsBecome = (simulator: GatewaySimulator, expected: number) =>
  Effect.suspend(() =>
    simulator.openConnections() === expected
      ? Effect.void
      : Effect.fail(`${simulator.openConnections()} connections open, expected ${expected}`)
  ).pipe(Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 100 }))

// The connection number the simulator saw the last `method` call on.
const lastConnectionOf = (simulator: GatewaySimulator, method: string) =>
  simulator.calls().filter((call) => call.method === method).at(-1)?.connection

describe("probe", () => {
  it.live("answers on a connection of its own, closed when its scope ends", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(start)
      const controlPlane = yield* GatewayControlPlane
      const health = yield* Effect.scoped(Effect.gen(function*() {
        const client = yield* controlPlane.probe(target(simulator))
        const answer = yield* client.health
        assert.strictEqual(simulator.openConnections(), 1)
        return answer
      }))
      assert.strictEqual((health as { readonly ok?: unknown }).ok, true)
      yield* openConnectionsBecome(simulator, 0)
      // Many probes, one after the other: none stays open.
      for (let i = 0; i < 5; i++) {
        yield* Effect.scoped(
          Effect.flatMap(
            controlPlane.probe(target(simulator, { url: `${simulator.url}/probe-${i}` })),
            (client) => client.health
          )
        )
      }
      yield* openConnectionsBecome(simulator, 0)
      assert.strictEqual(simulator.connectionsOpened(), 6)
    }).pipe(Effect.provide(pool)))

  it.live("of a pooled gateway with another token: the pooled connection stays open and keeps answering", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(start)
      const controlPlane = yield* GatewayControlPlane
      const pooled = yield* controlPlane.client(target(simulator))
      yield* pooled.listSessions
      const first = lastConnectionOf(simulator, "sessions.list")
      const refused = yield* Effect.scoped(
        Effect.flatMap(
          controlPlane.probe(target(simulator, { token: Redacted.make("wrong-token") })),
          (client) => Effect.flip(client.listSessions)
        )
      )
      assert.strictEqual(refused.reason, "Unauthorized")
      // Same id, other options: still a connection of its own.
      yield* Effect.scoped(
        Effect.flatMap(
          controlPlane.probe(target(simulator, { disableDevicePairing: true })),
          (client) => client.listSessions
        )
      )
      yield* openConnectionsBecome(simulator, 1)
      yield* pooled.listSessions
      assert.strictEqual(lastConnectionOf(simulator, "sessions.list"), first)
      // The pool still hands out that same connection for the unchanged target.
      const again = yield* controlPlane.client(target(simulator))
      yield* again.listSessions
      assert.strictEqual(lastConnectionOf(simulator, "sessions.list"), first)
    }).pipe(Effect.provide(pool)))
})
