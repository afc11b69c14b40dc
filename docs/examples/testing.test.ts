// The example of docs/testing.md. It runs with the test suite, so the docs cannot drift from the code.
import { assert, describe, it } from "@effect/vitest"
import {
  Actor,
  AgentCreate,
  AgentRepository,
  computedStatus,
  createAgent,
  deleteAgent,
  syncGatewayTemplates
} from "@mission-control/core"
import { Fixtures, MemoryGateway, TestKit } from "@mission-control/core/testing"
import { DateTime, Effect, Option, Schema } from "effect"

describe("my mission-control integration", () => {
  it.effect("provisions an agent, syncs templates and deletes it", () =>
    Effect.gen(function*() {
      // An organization with an owner, a gateway and a board (see Fixtures for the rest of the cast).
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway

      const body = Schema.decodeUnknownSync(AgentCreate)({ board_id: world.board.id, name: "Researcher" })
      // Programs answer domain values (`Agent`); the API shows the status computed for now: provisioning until the
      // agent's first heartbeat.
      const agent = yield* createAgent(Actor.user(world.owner), body)
      assert.strictEqual(computedStatus(agent, yield* DateTime.now), "provisioning")
      assert.isDefined(gateway.file(world.gateway.id, `mc-${agent.id}`, "SOUL.md"))

      const result = yield* syncGatewayTemplates(world.gateway, { includeMain: false })
      assert.strictEqual(result.agentsUpdated, 1)

      // Make the gateway fail the next call and watch the error surface as a 502-mapped error.
      gateway.fail({ method: "agents.delete", reason: "Rejected", message: "busy", times: 1 })
      const failure = yield* deleteAgent(world.owner, agent.id).pipe(Effect.flip)
      assert.strictEqual(failure.detail, "Gateway cleanup failed: busy")
      yield* deleteAgent(world.owner, agent.id)
      assert.isTrue(Option.isNone(yield* Effect.flatMap(AgentRepository, (agents) => agents.findById(agent.id))))
    }).pipe(Effect.provide(TestKit.layer())))
})
