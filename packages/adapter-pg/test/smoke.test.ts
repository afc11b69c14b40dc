import { afterAll, assert, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase, layerTestDatabase } from "@mission-control/adapter-pg/testing"
import { Actor, AgentCreate, createAgent, getAgent } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import { Effect, Layer, Schema } from "effect"

afterAll(closeSharedTestDatabase)

describe("smoke", () => {
  it.live("creates an agent", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const created = yield* createAgent(
        Actor.user(world.owner),
        Schema.decodeUnknownSync(AgentCreate)({ board_id: world.board.id, name: "Pg" })
      )
      const read = yield* getAgent(world.owner, created.id)
      assert.strictEqual(read.name, "Pg")
    }).pipe(Effect.provide(Layer.mergeAll(layerTestDatabase, TestKit.layerServices, TestKit.layerGateway()))))
})
