// The gateway's connection options: insecure TLS for a self-signed wss:// gateway, and connecting without device
// pairing (as a control UI, else as the token-only backend client), through the pool's `GatewayTarget`.
import { afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import type { GatewayId, GatewayTarget } from "@mission-control/core"
import { GatewayControlPlane } from "@mission-control/core"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import type { GatewaySimulator, SimulatorBehaviour } from "@mission-control/gateway-rpc/testing"
import type { SelfSignedCertificate } from "@mission-control/gateway-rpc/testing"
import { selfSignedCertificate, startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { Effect, Redacted } from "effect"

let tls: SelfSignedCertificate
beforeAll(() => {
  tls = selfSignedCertificate()
})

const running: Array<GatewaySimulator> = []
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop()
})

const start = async (behaviour: Partial<SimulatorBehaviour> = {}, secure = false) => {
  const simulator = await startGatewaySimulator(behaviour, secure ? { tls } : {})
  running.push(simulator)
  return simulator
}

const target = (simulator: GatewaySimulator, options: Partial<GatewayTarget> = {}): GatewayTarget => ({
  gatewayId: "5b0e8f3c-1a2b-4c3d-8e4f-000000000001" as GatewayId,
  url: simulator.url,
  token: Redacted.make(simulator.token!),
  allowInsecureTls: false,
  disableDevicePairing: false,
  ...options
})

/** Runs `use` with a client of the pool (a signed device identity, as a remote deployment would use). */
const withClient = <A, E>(
  t: GatewayTarget,
  use: (client: Effect.Success<ReturnType<GatewayControlPlane["Service"]["client"]>>) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const controlPlane = yield* GatewayControlPlane
    return yield* use(yield* controlPlane.client(t))
  }).pipe(
    Effect.provide(GatewayRpc.layer({ device: GatewayRpc.generateDeviceIdentity(), reconnectWait: "1 second" }))
  )

describe("allow_insecure_tls", () => {
  it.live("a self-signed wss:// gateway is refused without it (not retried), and accepted with it", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({}, true))
      assert.match(simulator.url, /^wss:\/\//)
      const refused = yield* withClient(target(simulator), (client) => Effect.flip(client.health))
      assert.strictEqual(refused.reason, "Rejected")
      assert.include(refused.detail, "TLS certificate not trusted")
      assert.strictEqual(simulator.connects().length, 0)
      const health = yield* withClient(target(simulator, { allowInsecureTls: true }), (client) => client.health)
      assert.deepStrictEqual((health as { readonly ok?: unknown }).ok, true)
      assert.strictEqual(simulator.connects().length, 1)
    }))

  it.live("is ignored for ws://: a plain gateway connects either way", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start())
      yield* withClient(target(simulator, { allowInsecureTls: true }), (client) => client.health)
      assert.strictEqual(simulator.connects().length, 1)
    }))
})

describe("disable_device_pairing", () => {
  it.live("connects as a control UI: client openclaw-control-ui, mode ui, an Origin header, no device", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({ controlUiWithoutDevice: true }))
      yield* withClient(target(simulator, { disableDevicePairing: true }), (client) => client.listSessions)
      const [connect] = simulator.connects()
      const client = connect?.params["client"] as Record<string, unknown>
      assert.deepStrictEqual([client["id"], client["mode"]], ["openclaw-control-ui", "ui"])
      assert.strictEqual(connect?.origin, `http://127.0.0.1:${simulator.port}`)
      assert.notProperty(connect?.params, "device")
      assert.deepStrictEqual(connect?.params["auth"], { token: simulator.token })
    }))

  it.live("a gateway refusing control UIs without a device (2026.9) gets the token-only backend client instead", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start())
      const sessions = yield* withClient(
        target(simulator, { disableDevicePairing: true }),
        (client) => Effect.andThen(client.ensureSession("agent:x:main", "X"), client.listSessions)
      )
      assert.deepStrictEqual(sessions.map((entry) => entry["key"]), ["agent:x:main"])
      const [refused, accepted] = simulator.connects()
      assert.strictEqual((refused?.params["client"] as Record<string, unknown>)["id"], "openclaw-control-ui")
      const backend = accepted?.params["client"] as Record<string, unknown>
      assert.deepStrictEqual([backend["id"], backend["mode"]], ["gateway-client", "backend"])
      assert.strictEqual(accepted?.origin, undefined)
      assert.notProperty(accepted?.params, "device")
      assert.strictEqual(simulator.connects().length, 2)
    }))

  it.live("off: the backend client signs with its device identity; the option is part of the pool's key", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({ controlUiWithoutDevice: true }))
      yield* Effect.gen(function*() {
        const controlPlane = yield* GatewayControlPlane
        yield* Effect.flatMap(controlPlane.client(target(simulator)), (client) => client.health)
        yield* Effect.flatMap(
          controlPlane.client(target(simulator, { disableDevicePairing: true })),
          (client) => client.health
        )
      }).pipe(Effect.provide(GatewayRpc.layer({ device: GatewayRpc.generateDeviceIdentity() })))
      const [signed, ui] = simulator.connects()
      assert.property(signed?.params, "device")
      assert.strictEqual((signed?.params["client"] as Record<string, unknown>)["id"], "gateway-client")
      assert.strictEqual((ui?.params["client"] as Record<string, unknown>)["id"], "openclaw-control-ui")
    }))
})

describe("the operator calls", () => {
  it.live("sessions, chat history of sent messages, the handshake's catalog, the config's version", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({ configVersion: "2026.9.1" }))
      yield* withClient(target(simulator), (client) =>
        Effect.gen(function*() {
          const entry = yield* client.ensureSession("agent:a:main", "A")
          assert.strictEqual(entry["label"], "A")
          assert.isString(entry["sessionId"])
          assert.deepStrictEqual(yield* client.chatHistory("agent:a:main"), [])
          yield* client.sendChat({ sessionKey: "agent:a:main", message: "hello", deliver: false, idempotencyKey: "k1" })
          const history = yield* client.chatHistory("agent:a:main")
          assert.strictEqual(history.length, 1)
          assert.include(JSON.stringify(history[0]), "hello")
          const sessions = yield* client.listSessions
          assert.deepStrictEqual(sessions.map((session) => session["key"]), ["agent:a:main"])
          const catalog = yield* client.catalog
          assert.strictEqual(catalog.protocol, 4)
          assert.include(catalog.methods, "chat.history")
          assert.include(catalog.events, "tick")
          assert.strictEqual(yield* client.configVersion, "2026.9.1")
          assert.strictEqual((yield* client.capabilities).serverVersion, "2026.9.6")
        }))
    }))
})
