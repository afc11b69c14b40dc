// The core programs driven directly in a test with the test kit: no database, no gateway, no HTTP.
import { assert, describe, it } from "@effect/vitest"
import {
  Actor,
  AgentCreate,
  authenticateAgent,
  computedStatus,
  createAgent,
  ensureBoardLeadAgent,
  getAgent,
  heartbeatAgent,
  syncGatewayTemplates
} from "@mission-control/core"
import { Fixtures, MemoryGateway, modernBehaviour, TestKit } from "@mission-control/core/testing"
import { DateTime, Duration, Effect, Fiber, Schema } from "effect"
import { TestClock } from "effect/testing"

describe("driving the core programmatically", () => {
  it.effect("a board gets a lead, a worker, a sync; the worker checks in and later goes offline", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const lead = yield* ensureBoardLeadAgent(world.board, world.owner)
      const worker = yield* createAgent(
        Actor.user(world.owner),
        Schema.decodeUnknownSync(AgentCreate)({ board_id: world.board.id, name: "Analyst" })
      )
      const sync = yield* syncGatewayTemplates(world.gateway, { includeMain: false })
      assert.strictEqual(sync.agentsUpdated, 2)

      // The agent authenticates with the token it found in its workspace, then heartbeats.
      const tools = gateway.file(world.gateway.id, `mc-${worker.id}`, "TOOLS.md")!
      const token = /^AUTH_TOKEN=(.*)$/m.exec(tools)![1]!
      const self = yield* authenticateAgent(token)
      yield* heartbeatAgent(Actor.agent(self), self.id, null)
      // Programs answer domain values; the status the API would show is computed for an instant.
      const online = yield* getAgent(world.owner, worker.id)
      assert.strictEqual(computedStatus(online, yield* DateTime.now), "online")
      // Its heartbeat comes every ten minutes: after fifteen and more, it is shown offline.
      yield* TestClock.adjust(Duration.minutes(16))
      const silent = yield* getAgent(world.owner, worker.id)
      assert.strictEqual(computedStatus(silent, yield* DateTime.now), "offline")
      assert.isTrue(lead.created)
    }).pipe(Effect.provide(TestKit.layer())))

  it.effect("the same against a gateway that behaves like OpenClaw 2026.9", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const worker = yield* Effect.forkChild(createAgent(
        Actor.user(world.owner),
        Schema.decodeUnknownSync(AgentCreate)({ board_id: world.board.id, name: "Analyst" })
      ))
      for (let step = 0; step < 40; step++) {
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 2)))
        yield* TestClock.adjust("100 millis")
      }
      const created = yield* Fiber.join(worker)
      assert.match(gateway.file(world.gateway.id, `mc-${created.id}`, "AGENTS.md")!, /^AUTH_TOKEN=/m)
      assert.isUndefined(gateway.file(world.gateway.id, `mc-${created.id}`, "TOOLS.md"))
    }).pipe(Effect.provide(TestKit.layer(modernBehaviour))))
})
