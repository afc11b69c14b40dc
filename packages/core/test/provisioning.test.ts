import { assert, describe, it } from "@effect/vitest"
import {
  Actor,
  AgentCreate,
  AgentUpdate,
  authenticateAgent,
  createAgent,
  provisionAgentRecord,
  Settings,
  updateAgent
} from "@mission-control/core"
import { Fixtures, MemoryGateway, modernBehaviour } from "@mission-control/core/testing"
import { Effect, Schema } from "effect"
import { runWithTestClock } from "./support/clock.js"
import { testLayer } from "./support/layer.js"

const create = (body: unknown) => Schema.decodeUnknownSync(AgentCreate)(body)

describe("convergent provisioning", () => {
  it.effect("re-provisioning writes only what changed and never creates a second gateway agent", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const { id } = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Echo" }))
      gateway.clearCalls()
      yield* provisionAgentRecord(id, {
        action: "update",
        gateway: world.gateway,
        board: world.board,
        user: world.owner,
        wake: false
      })
      const writes = gateway.calls().filter((call) => call.method === "agents.files.set").map((call) =>
        call.params["name"]
      )
      // Only the files carrying the fresh token differ.
      assert.deepStrictEqual(writes, ["HEARTBEAT.md", "TOOLS.md"])
      assert.strictEqual(gateway.calls().filter((call) => call.method === "agents.create").length, 1)
      assert.strictEqual(gateway.agents(world.gateway.id).size, 1)
      assert.strictEqual(gateway.calls().filter((call) => call.method === "config.patch").length, 0)
    }).pipe(Effect.provide(testLayer())))

  it.effect("concurrent provisioning of one agent is serialised and converges on one token", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const { id } = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Twin" }))
      yield* Effect.all(
        Array.from(
          { length: 5 },
          () =>
            provisionAgentRecord(id, {
              action: "update",
              gateway: world.gateway,
              board: world.board,
              user: null,
              wake: false
            })
        ),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(gateway.agents(world.gateway.id).size, 1)
      const tools = gateway.file(world.gateway.id, `mc-${id}`, "TOOLS.md")!
      const token = /^AUTH_TOKEN=(.+)$/m.exec(tools)![1]!
      const stored = yield* Fixtures.reload(id)
      const authenticated = yield* authenticateAgent(token)
      assert.strictEqual(authenticated.id, stored.id)
    }).pipe(Effect.provide(testLayer())))

  it.effect("sends heartbeat settings only when they change", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const created = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Pulse" }))
      assert.strictEqual(gateway.configPatches(world.gateway.id), 1)
      yield* updateAgent(world.owner, created.id, Schema.decodeUnknownSync(AgentUpdate)({ name: "Pulse 2" }), {
        force: false
      })
      assert.strictEqual(gateway.configPatches(world.gateway.id), 1)
      yield* updateAgent(
        world.owner,
        created.id,
        Schema.decodeUnknownSync(AgentUpdate)({ heartbeat_config: { every: "5m" } }),
        { force: false }
      )
      assert.strictEqual(gateway.configPatches(world.gateway.id), 2)
      assert.deepStrictEqual(gateway.heartbeats(world.gateway.id).get(`mc-${created.id}`)!.heartbeat, {
        every: "5m",
        target: "none",
        includeReasoning: false
      })
    }).pipe(Effect.provide(testLayer())))

  it.effect("on a modern gateway: waits for the new agent to load, skips refused files, carries the token in AGENTS.md", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const created = yield* runWithTestClock(
        createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Nova" })),
        { step: "100 millis" }
      )
      const agentKey = `mc-${created.id}`
      const files = gateway.agents(world.gateway.id).get(agentKey)!.files
      assert.deepStrictEqual([...files.keys()].sort(), [
        "AGENTS.md",
        "BOOTSTRAP.md",
        "IDENTITY.md",
        "MEMORY.md",
        "SOUL.md",
        "USER.md"
      ])
      assert.match(files.get("AGENTS.md")!, /^AUTH_TOKEN=[A-Za-z0-9_-]{43}$/m)
      const refused = gateway.calls().filter((call) =>
        call.method === "agents.files.set" && call.params["name"] === "TOOLS.md"
      )
      assert.strictEqual(refused.length, 0)
      const retriedUpdates = gateway.calls().filter((call) => call.method === "agents.update").length
      assert.isAbove(retriedUpdates, 1)
    }).pipe(Effect.provide(testLayer(modernBehaviour))))

  it.effect("retries transient failures with backoff and succeeds", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      gateway.fail({ method: "agents.files.set", reason: "Transport", message: "connection reset", times: 3 })
      const created = yield* runWithTestClock(
        createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Tough" })),
        { step: "100 millis" }
      )
      const stored = yield* Fixtures.reload(created.id)
      assert.strictEqual(stored.status, "online")
      assert.strictEqual(gateway.agents(world.gateway.id).size, 1)
    }).pipe(Effect.provide(testLayer())))

  it.effect("gives up at the deadline with the reference's timeout message", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      gateway.fail({ method: "agents.create", reason: "Transport", message: "connection refused", times: Infinity })
      const error = yield* runWithTestClock(
        createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Lost" })),
        { step: "5 seconds" }
      ).pipe(Effect.flip)
      assert.strictEqual(
        error.detail,
        "Gateway provision failed: Gateway unreachable after 45 seconds (gateway coordination timeout). Last error: unreachable"
      )
    }).pipe(Effect.provide(testLayer())))

  it.effect("renders the base URL from Settings", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const created = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Base" }))
        .pipe(
          Effect.provideService(Settings, { ...Settings.defaultValue(), baseUrl: "https://mc.example" })
        )
      assert.include(gateway.file(world.gateway.id, `mc-${created.id}`, "TOOLS.md")!, "BASE_URL=https://mc.example")
    }).pipe(Effect.provide(testLayer())))
})
