import { afterEach, assert, describe, it } from "@effect/vitest"
import type { GatewayError, HeartbeatEntry } from "@mission-control/core"
import { gatewayError } from "@mission-control/core"
import { generateDeviceIdentity, makeClient, makeConnection, makeHeartbeatPatcher } from "@mission-control/gateway-rpc"
import type { HeartbeatPatchApplied } from "@mission-control/gateway-rpc"
import type { GatewaySimulator, SimulatorBehaviour } from "@mission-control/gateway-rpc/testing"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { Effect, Exit, Fiber, Redacted } from "effect"
import { TestClock } from "effect/testing"

const running: Array<GatewaySimulator> = []
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop()
})

const start = async (behaviour: Partial<SimulatorBehaviour> = {}) => {
  const simulator = await startGatewaySimulator(behaviour)
  running.push(simulator)
  return simulator
}

const clientOf = (simulator: GatewaySimulator) =>
  Effect.map(
    makeConnection({
      url: simulator.url,
      token: simulator.token === null ? null : Redacted.make(simulator.token),
      device: generateDeviceIdentity()
    }),
    (connection) => makeClient(connection)
  )

const entryOf = (agentId: string, every = "7m"): HeartbeatEntry => ({
  agentId,
  workspace: `/w/${agentId}`,
  heartbeat: { every, target: "none" }
})

const agentIds = (count: number, prefix = "hb") => Array.from({ length: count }, (_, index) => `${prefix}-${index}`)

/** The heartbeat settings the simulator holds for an agent, whichever config shape its profile keeps. */
const heartbeatIn = (simulator: GatewaySimulator, agentId: string): unknown => {
  const agents = (simulator.config() as { agents: Record<string, unknown> }).agents
  if (Array.isArray(agents["list"])) {
    return (agents["list"] as Array<{ id: string; heartbeat?: unknown }>).find((item) => item.id === agentId)
      ?.heartbeat
  }
  return (agents["entries"] as Record<string, { heartbeat?: unknown } | undefined>)[agentId]?.heartbeat
}

const configPatchCalls = (simulator: GatewaySimulator) =>
  simulator.calls().filter((call) => call.method === "config.patch").length

/** Waits, a few milliseconds at a time and at most five seconds, until the simulator shows what the test needs. */
const until = (condition: () => boolean) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 1000 && !condition(); attempt++) yield* Effect.sleep("5 millis")
    assert.isTrue(condition(), "the simulator never reached the expected state")
  })

describe("concurrent heartbeat patches share config.patch calls", () => {
  for (const profile of ["2026.9", "2026.4"] as const) {
    it.live(`on ${profile}: 50 callers at once, few patches, every entry applied, every caller patched`, () =>
      Effect.gen(function*() {
        const simulator = yield* Effect.promise(() => start({ profile, latencyMs: 2 }))
        const client = yield* clientOf(simulator)
        const ids = agentIds(50)
        yield* Effect.forEach(ids, (id) => client.createAgent({ agentId: id, workspace: `/w/${id}` }), {
          concurrency: 8
        })
        const results = yield* Effect.forEach(ids, (id) => client.patchHeartbeats([entryOf(id)]), {
          concurrency: "unbounded"
        })
        console.log(`${profile}: 50 concurrent patchHeartbeats sent ${simulator.configPatches()} config.patch`)
        assert.isTrue(results.every((result) => result.patched))
        assert.isAtMost(simulator.configPatches(), 3)
        assert.strictEqual(simulator.configPatchesRefused(), 0)
        for (const id of ids) {
          assert.deepStrictEqual(
            heartbeatIn(simulator, id),
            profile === "2026.9" ? { every: "7m", target: "none" } : entryOf(id).heartbeat
          )
        }
      }))
  }

  it.live("entries of one agent in one batch: the last caller's wins", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({ latencyMs: 5 }))
      const client = yield* clientOf(simulator)
      yield* client.createAgent({ agentId: "first", workspace: "/w/first" })
      yield* client.createAgent({ agentId: "shared", workspace: "/w/shared" })
      // The first call leads a batch of its own; the three after it wait for that one and share the next.
      const results = yield* Effect.all([
        client.patchHeartbeats([entryOf("first")]),
        client.patchHeartbeats([entryOf("shared", "1m")]),
        client.patchHeartbeats([entryOf("shared", "2m")]),
        client.patchHeartbeats([entryOf("shared", "3m")])
      ], { concurrency: "unbounded" })
      assert.isTrue(results.every((result) => result.patched))
      assert.strictEqual(simulator.configPatches(), 2)
      assert.deepStrictEqual(heartbeatIn(simulator, "shared"), { every: "3m", target: "none" })
    }))

  it.live("a caller whose settings are already there is told patched: false, in the same batch as others", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({ latencyMs: 5 }))
      const client = yield* clientOf(simulator)
      for (const id of ["a", "b", "c"]) yield* client.createAgent({ agentId: id, workspace: `/w/${id}` })
      yield* client.patchHeartbeats([entryOf("b")])
      const [a, b, c] = yield* Effect.all([
        client.patchHeartbeats([entryOf("a")]),
        client.patchHeartbeats([entryOf("b")]),
        client.patchHeartbeats([entryOf("c")])
      ], { concurrency: "unbounded" })
      assert.deepStrictEqual([a?.patched, b?.patched, c?.patched], [true, false, true])
      assert.strictEqual(simulator.configPatches(), 3)
    }))
})

describe("the gateway's config.patch limit", () => {
  it.live("refused with retryAfterMs: the batch waits for the window, callers arriving meanwhile join it", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({ configPatchLimit: { max: 2, windowMs: 1_500 } }))
      const client = yield* clientOf(simulator)
      const ids = agentIds(13)
      for (const id of ids) yield* client.createAgent({ agentId: id, workspace: `/w/${id}` })
      assert.isTrue((yield* client.patchHeartbeats([entryOf(ids[0]!)])).patched)
      assert.isTrue((yield* client.patchHeartbeats([entryOf(ids[1]!)])).patched)
      const third = yield* Effect.forkChild(client.patchHeartbeats([entryOf(ids[2]!)]))
      yield* until(() => simulator.configPatchesRefused() === 1)
      const later = yield* Effect.forkChild(
        Effect.forEach(ids.slice(3), (id) => client.patchHeartbeats([entryOf(id)]), { concurrency: "unbounded" })
      )
      assert.isTrue((yield* Fiber.join(third)).patched)
      assert.isTrue((yield* Fiber.join(later)).every((result) => result.patched))
      console.log(
        `limit 2 per 1.5 s: ${simulator.configPatches()} config.patch applied, ${simulator.configPatchesRefused()} refused`
      )
      // Two in the first window, then one for the waiting caller and the ten that arrived while it waited.
      assert.strictEqual(simulator.configPatches(), 3)
      assert.strictEqual(simulator.configPatchesRefused(), 1)
      for (const id of ids) assert.deepStrictEqual(heartbeatIn(simulator, id), { every: "7m", target: "none" })
    }))

  it.live("the simulator refuses as 2026.9.6 does: UNAVAILABLE, retryable, retryAfterMs, per client", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({ configPatchLimit: { max: 1, windowMs: 60_000 } }))
      const connection = yield* makeConnection({
        url: simulator.url,
        token: Redacted.make(simulator.token!),
        device: generateDeviceIdentity()
      })
      const hash = () =>
        connection.request("config.get", {}).pipe(Effect.map((payload) => (payload as { hash: string }).hash))
      const patch = (every: string) =>
        Effect.flatMap(hash(), (baseHash) =>
          connection.request("config.patch", {
            raw: JSON.stringify({ agents: { entries: { main: { heartbeat: { every } } } } }),
            baseHash
          }))
      yield* patch("1m")
      const refused = yield* patch("2m").pipe(Effect.flip)
      assert.strictEqual(refused.code, "UNAVAILABLE")
      assert.isTrue(refused.retryable)
      assert.isNotNull(refused.retryAfterMs)
      assert.isAbove(refused.retryAfterMs!, 50_000)
      assert.isAtMost(refused.retryAfterMs!, 60_000)
      assert.match(refused.detail, /^rate limit exceeded for config\.patch; retry after \d+s$/)
      // Another client (another device) has its own budget.
      const other = yield* clientOf(simulator)
      assert.isTrue((yield* other.patchHeartbeats([entryOf("main", "3m")])).patched)
    }))
})

describe("a failed batch", () => {
  it.live("fails every caller of that batch with the gateway's error, and not the next batch", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({ latencyMs: 20 }))
      const client = yield* clientOf(simulator)
      const ids = agentIds(9)
      for (const id of ["opener", ...ids]) yield* client.createAgent({ agentId: id, workspace: `/w/${id}` })
      yield* client.patchHeartbeats([entryOf("opener")])
      simulator.configure({
        faults: [{ method: "config.patch", kind: "error", message: "invalid config: simulated refusal", times: 1 }]
      })
      const attemptsBefore = configPatchCalls(simulator)
      // The opener leads a batch of its own, with nothing to change (no config.patch); the nine wait for it and share
      // the next batch, whose config.patch is refused.
      const outcomes = yield* Effect.forEach(
        ["opener", ...ids],
        (id) => Effect.result(client.patchHeartbeats([entryOf(id)])),
        { concurrency: "unbounded" }
      )
      const [opener, ...rest] = outcomes
      assert.deepStrictEqual(opener?._tag === "Success" ? opener.success : opener, { patched: false })
      assert.strictEqual(configPatchCalls(simulator) - attemptsBefore, 1)
      for (const outcome of rest) {
        assert.strictEqual(outcome._tag, "Failure")
        if (outcome._tag === "Failure") {
          assert.deepStrictEqual(
            [outcome.failure.method, outcome.failure.reason, outcome.failure.retryable, outcome.failure.detail],
            ["config.patch", "Rejected", false, "invalid config: simulated refusal"]
          )
        }
      }
      const next = yield* Effect.forEach(ids, (id) => client.patchHeartbeats([entryOf(id)]), {
        concurrency: "unbounded"
      })
      assert.isTrue(next.every((result) => result.patched))
      // The opener's patch, then at most two for the nine (the first to arrive may lead a batch of its own).
      assert.isAtMost(simulator.configPatches(), 3)
      for (const id of ids) assert.deepStrictEqual(heartbeatIn(simulator, id), { every: "7m", target: "none" })
    }))

  it.live("whose leading caller is interrupted: the others' entries go to the next batch", () =>
    Effect.gen(function*() {
      const simulator = yield* Effect.promise(() => start({ latencyMs: 30 }))
      const client = yield* clientOf(simulator)
      for (const id of ["opener", "lead", "b", "c", "d"]) {
        yield* client.createAgent({ agentId: id, workspace: `/w/${id}` })
      }
      const configReads = () => simulator.calls().filter((call) => call.method === "config.get").length
      const readsBefore = configReads()
      const opener = yield* Effect.forkChild(client.patchHeartbeats([entryOf("opener")]))
      yield* until(() => configReads() === readsBefore + 1)
      const lead = yield* Effect.forkChild(client.patchHeartbeats([entryOf("lead")]))
      const others = yield* Effect.forkChild(
        Effect.forEach(["b", "c", "d"], (id) => client.patchHeartbeats([entryOf(id)]), { concurrency: "unbounded" })
      )
      assert.isTrue((yield* Fiber.join(opener)).patched)
      // The second batch (lead, b, c, d) has read the config: its leader goes away before it patches.
      yield* until(() => configReads() === readsBefore + 2)
      yield* Fiber.interrupt(lead)
      assert.isTrue((yield* Fiber.join(others)).every((result) => result.patched))
      for (const id of ["b", "c", "d"]) {
        assert.deepStrictEqual(heartbeatIn(simulator, id), { every: "7m", target: "none" })
      }
      assert.isUndefined(heartbeatIn(simulator, "lead"))
    }))
})

describe("the coalescer on its own (test clock)", () => {
  const applied = (entries: ReadonlyArray<HeartbeatEntry>): HeartbeatPatchApplied => ({
    patched: true,
    changedAgents: new Set(entries.map((entry) => entry.agentId)),
    sharedChange: false
  })
  const rateLimited = (retryAfterMs: number): GatewayError =>
    gatewayError("config.patch", "Rejected", "rate limit exceeded for config.patch; retry after 60s", {
      code: "UNAVAILABLE",
      retryable: true,
      retryAfterMs
    })

  it.effect("a retryAfterMs longer than the cap is waited for the cap only (65 s by default)", () =>
    Effect.gen(function*() {
      let attempts = 0
      const patch = makeHeartbeatPatcher((entries) =>
        Effect.suspend(() =>
          ++attempts === 1 ? Effect.fail(rateLimited(10 * 60_000)) : Effect.succeed(applied(entries))
        )
      )
      const fiber = yield* Effect.forkChild(patch([entryOf("a")]))
      yield* TestClock.adjust("64 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { patched: true })
      assert.strictEqual(attempts, 2)
    }))

  it.effect("a gateway that keeps refusing fails the callers after the allowed waits, with its error", () =>
    Effect.gen(function*() {
      let attempts = 0
      const patch = makeHeartbeatPatcher(() => Effect.suspend(() => (attempts++, Effect.fail(rateLimited(1_000)))), {
        maxRetryAfterWaits: 3
      })
      const fiber = yield* Effect.forkChild(patch([entryOf("a")]))
      yield* TestClock.adjust("10 seconds")
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(attempts, 4)
    }))

  it.effect("a patch the gateway saved but superseded (2026.9.6) counts as applied, without a second patch", () =>
    Effect.gen(function*() {
      let attempts = 0
      const patch = makeHeartbeatPatcher(() =>
        Effect.suspend(() => (attempts++,
          Effect.fail(gatewayError(
            "config.patch",
            "Rejected",
            "config.patch persisted but was not applied to the active Gateway (superseded); run config.get, then use config.apply to reapply the saved config or restart the Gateway",
            { code: "UNAVAILABLE", retryable: true }
          )))
        )
      )
      assert.deepStrictEqual(yield* patch([entryOf("a")]), { patched: true })
      assert.strictEqual(attempts, 1)
    }))
})
