import { afterEach, assert, describe, it } from "@effect/vitest"
import { generateDeviceIdentity, makeClient, makeConnection } from "@mission-control/gateway-rpc"
import type { ConnectionOptions } from "@mission-control/gateway-rpc"
import type { GatewaySimulator, SimulatorBehaviour } from "@mission-control/gateway-rpc/testing"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { Cause, Duration, Effect, Exit, Fiber, Option, Redacted, Scope } from "effect"

const running: Array<GatewaySimulator> = []
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop()
})

const start = async (behaviour: Partial<SimulatorBehaviour> = {}) => {
  const simulator = await startGatewaySimulator(behaviour)
  running.push(simulator)
  return simulator
}

const connect = (simulator: GatewaySimulator, options: Partial<ConnectionOptions> = {}) =>
  makeConnection({
    url: simulator.url,
    token: simulator.token === null ? null : Redacted.make(simulator.token),
    ...options
  })

describe("gateway connection", () => {
  it.live("negotiates protocol 4 with today's gateway and tells its version and methods", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start())
      const connection = yield* connect(simulator)
      const hello = yield* connection.hello
      assert.strictEqual(hello.protocol, 4)
      assert.strictEqual(hello.serverVersion, "2026.9.6")
      assert.include(hello.methods, "agents.files.set")
      assert.deepStrictEqual(
        yield* connection.request("health", {}).pipe(Effect.map((payload) => (payload as { ok: boolean }).ok)),
        true
      )
    }))

  it.live("speaks protocol 3 to a 2026.4 gateway, which grants scopes to a signed device only", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({ profile: "2026.4" }))
      const tokenOnly = yield* connect(simulator)
      assert.strictEqual((yield* tokenOnly.hello).protocol, 3)
      const refused = yield* tokenOnly.request("config.get", {}).pipe(Effect.flip)
      assert.deepStrictEqual([refused.reason, refused.detail], ["Unauthorized", "missing scope: operator.admin"])
      const device = yield* connect(simulator, { device: generateDeviceIdentity() })
      const config = yield* device.request("config.get", {})
      assert.isObject(config)
    }))

  it.live("fails fast on a wrong token, with the token nowhere in the error", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start())
      const connection = yield* makeConnection({ url: simulator.url, token: Redacted.make("wrong-secret-token") })
      const error = yield* connection.request("health", {}).pipe(Effect.flip)
      assert.strictEqual(error.reason, "Unauthorized")
      assert.strictEqual(error.method, "connect")
      assert.notInclude(JSON.stringify(error), "wrong-secret-token")
      assert.strictEqual(simulator.connectionsOpened(), 1)
    }))

  it.live("matches 1,000 concurrent requests on one connection to their responses", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({ latencyJitterMs: 20 }))
      const connection = yield* connect(simulator)
      const keys = Array.from({ length: 1000 }, (_, index) => `agent:probe-${index}:main`)
      const answers = yield* Effect.forEach(
        keys,
        (key) =>
          connection.request("sessions.patch", { key }).pipe(Effect.map((payload) => (payload as { key: string }).key)),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(answers, keys)
      assert.strictEqual(simulator.connectionsOpened(), 1)
    }))

  it.live("fails requests in flight with a retryable error when the gateway restarts, then reconnects", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({ latencyMs: 300 }))
      const connection = yield* connect(simulator)
      yield* connection.hello
      const inFlight = yield* Effect.forkChild(connection.request("health", {}))
      yield* Effect.sleep("50 millis")
      simulator.dropConnections(1012)
      const exit = yield* Fiber.await(inFlight)
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : Option.none()
      assert.isTrue(Option.isSome(error))
      if (Option.isSome(error)) {
        assert.strictEqual(error.value.reason, "Restarting")
        assert.isTrue(error.value.retryable)
      }
      simulator.configure({ latencyMs: 0 })
      yield* connection.request("health", {})
      assert.strictEqual(simulator.connectionsOpened(), 2)
    }))

  it.live("comes back on its own after a drop, so the next request finds it open", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start())
      const connection = yield* connect(simulator)
      yield* connection.hello
      simulator.dropConnections(1001)
      for (let attempt = 0; attempt < 100 && simulator.connectionsOpened() < 2; attempt++) {
        yield* Effect.sleep("20 millis")
      }
      assert.strictEqual(simulator.connectionsOpened(), 2)
      assert.isTrue(yield* connection.isOpen)
    }))

  it.live("waits for a gateway that is not up yet, within the reconnect wait", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start())
      const port = simulator.port
      yield* Effect.promise(() => running.pop()!.stop())
      const connection = yield* makeConnection({
        url: `ws://127.0.0.1:${port}`,
        token: null,
        reconnectWait: "300 millis"
      })
      const error = yield* connection.request("health", {}).pipe(Effect.flip)
      assert.strictEqual(error.reason, "Transport")
      assert.isTrue(error.retryable)
    }))

  it.live("times out a request the gateway never answers, and goes on with the next", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() =>
        start({ faults: [{ method: "config.get", kind: "stall", times: 1 }] })
      )
      const connection = yield* connect(simulator)
      const error = yield* connection.request("config.get", {}, { timeout: "200 millis" }).pipe(Effect.flip)
      assert.deepStrictEqual([error.reason, error.retryable], ["Timeout", true])
      yield* connection.request("config.get", {})
      assert.strictEqual(simulator.connectionsOpened(), 1)
    }))

  it("closes its socket when its scope ends", async () => {
    const simulator = await start()
    const scope = Effect.runSync(Scope.make())
    const connection = await Effect.runPromise(connect(simulator).pipe(Scope.provide(scope)))
    await Effect.runPromise(connection.hello)
    assert.strictEqual(simulator.openConnections(), 1)
    await Effect.runPromise(Scope.close(scope, Exit.void))
    for (let attempt = 0; attempt < 50 && simulator.openConnections() > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    assert.strictEqual(simulator.openConnections(), 0)
    const error = await Effect.runPromise(connection.request("health", {}).pipe(Effect.flip))
    assert.strictEqual(error.reason, "Transport")
    assert.strictEqual(simulator.connectionsOpened(), 1)
  })
})

describe("gateway errors", () => {
  it.live("become the core's reasons, with method and code", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start())
      const client = makeClient(yield* connect(simulator))
      const notFound = yield* client.updateAgent({ agentId: "ghost", name: "x", workspace: "/w" }).pipe(Effect.flip)
      assert.deepStrictEqual([notFound.reason, notFound.method, notFound.code], [
        "NotFound",
        "agents.update",
        "INVALID_REQUEST"
      ])
      yield* client.createAgent({ agentId: "dup", workspace: "/w/dup" })
      const exists = yield* client.createAgent({ agentId: "dup", workspace: "/w/dup" }).pipe(Effect.flip)
      assert.strictEqual(exists.reason, "AlreadyExists")
      const unsupported = yield* client.writeFile("dup", "TOOLS.md", "x").pipe(Effect.flip)
      assert.strictEqual(unsupported.reason, "UnsupportedFile")
      const main = yield* client.deleteSession("agent:dup:main").pipe(Effect.flip)
      assert.strictEqual(main.reason, "MainSession")
      const capabilities = yield* client.capabilities
      assert.strictEqual(capabilities.tokenFile, "AGENTS.md")
      assert.isFalse(capabilities.writableFiles!.has("TOOLS.md"))
    }))

  it.live("never carry the gateway token", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start())
      simulator.configure({ faults: [{ method: "health", kind: "error", message: `bad token ${simulator.token}` }] })
      const connection = yield* connect(simulator)
      const error = yield* connection.request("health", {}).pipe(Effect.flip)
      assert.strictEqual(error.detail, "bad token <redacted>")
      assert.strictEqual(error.message, error.detail) // what logs and Cause.pretty print
    }))
})

describe("heartbeat settings", () => {
  for (const profile of ["2026.9", "2026.4"] as const) {
    it.live(`on ${profile}: one patch when they change, none when they do not`, () =>
      Effect.gen(function*() {
        const simulator = yield* Effect.promise(() => start({ profile }))
        const client = makeClient(yield* connect(simulator, { device: generateDeviceIdentity() }))
        yield* client.createAgent({ agentId: "hb", workspace: "/w/hb" })
        const entry = {
          agentId: "hb",
          workspace: "/w/hb",
          heartbeat: { every: "10m", target: "none", includeReasoning: false }
        }
        assert.deepStrictEqual(yield* client.patchHeartbeats([entry]), { patched: true })
        assert.deepStrictEqual(yield* client.patchHeartbeats([entry]), { patched: false })
        assert.strictEqual(simulator.configPatches(), 1)
        yield* client.patchHeartbeats([{ ...entry, heartbeat: { ...entry.heartbeat, every: "5m" } }])
        assert.strictEqual(simulator.configPatches(), 2)
        const config = simulator.config() as { agents: Record<string, unknown> }
        if (profile === "2026.9") {
          assert.deepStrictEqual(
            (config.agents["entries"] as Record<string, { heartbeat: unknown }>)["hb"]!.heartbeat,
            {
              every: "5m",
              target: "none"
            }
          )
        } else {
          const list = config.agents["list"] as Array<{ id: string; heartbeat: unknown }>
          assert.deepStrictEqual(
            list.find((item) => item.id === "hb")!.heartbeat,
            entry.heartbeat && { ...entry.heartbeat, every: "5m" }
          )
        }
      }))
  }
})

export { Duration }

describe("concurrent heartbeat patches", () => {
  it.live("on one gateway are coalesced, so none fails on a stale config hash and few patches are sent", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start())
      const client = makeClient(yield* connect(simulator))
      const ids = Array.from({ length: 20 }, (_, index) => `hb-${index}`)
      for (const id of ids) yield* client.createAgent({ agentId: id, workspace: `/w/${id}` })
      const results = yield* Effect.forEach(
        ids,
        (id) => client.patchHeartbeats([{ agentId: id, workspace: `/w/${id}`, heartbeat: { every: "7m" } }]),
        {
          concurrency: "unbounded"
        }
      )
      assert.isTrue(results.every((result) => result.patched))
      assert.isAtMost(simulator.configPatches(), 3)
    }))
})

describe("a gateway URL the client cannot use", () => {
  it.live("is a gateway error, not a crash", () =>
    Effect.gen(function*() {
      const connection = yield* makeConnection({ url: "H72h}G4LQ/", token: null })
      const error = yield* connection.request("health", {}).pipe(Effect.flip)
      assert.deepStrictEqual([error.reason, error.retryable], ["Rejected", false])
      assert.include(error.detail, "invalid gateway url")
    }))
})
