import { assert, describe, it } from "@effect/vitest"
import { agentTokenFromHeaders, authenticateAgent } from "@mission-control/core"
import { Fixtures } from "@mission-control/core/testing"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import { testLayer } from "./support/layer.js"

describe("authenticateAgent", () => {
  it.effect("finds the agent of a token and refuses forged or truncated ones", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { agent, token } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      assert.match(token, /^[A-Za-z0-9_-]{43}$/)
      assert.strictEqual((yield* authenticateAgent(token)).id, agent.id)
      for (const bad of [token.slice(0, 42), `${token}x`, "forged", "", null, "x".repeat(600)]) {
        const error = yield* authenticateAgent(bad).pipe(Effect.flip)
        assert.deepStrictEqual([error._tag, error.detail], ["Unauthorized", "Unauthorized"])
      }
    }).pipe(Effect.provide(testLayer())))

  it.effect("refreshes presence at most every 30 seconds, never over updating", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { agent, token } = yield* Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: world.board.id,
        status: "offline",
        lastSeenAt: null
      })
      const touched = yield* authenticateAgent(token)
      assert.strictEqual(touched.status, "online")
      assert.isNotNull(touched.lastSeenAt)
      yield* TestClock.adjust(Duration.seconds(10))
      const recent = yield* authenticateAgent(token)
      assert.deepStrictEqual(recent.lastSeenAt, touched.lastSeenAt)
      const { token: updatingToken } = yield* Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: world.board.id,
        status: "updating",
        lastSeenAt: null
      })
      assert.strictEqual((yield* authenticateAgent(updatingToken)).status, "updating")
      const untouched = yield* authenticateAgent(token, { touchPresence: false })
      assert.strictEqual(untouched.id, agent.id)
    }).pipe(Effect.provide(testLayer())))

  it("reads the token from X-Agent-Token, or a bearer header where allowed", () => {
    assert.strictEqual(agentTokenFromHeaders({ agentToken: " abc " }, false), "abc")
    assert.strictEqual(agentTokenFromHeaders({ authorization: "Bearer xyz" }, true), "xyz")
    assert.strictEqual(agentTokenFromHeaders({ authorization: "bearer  xyz " }, true), "xyz")
    assert.isUndefined(agentTokenFromHeaders({ authorization: "Bearer xyz" }, false))
    assert.isUndefined(agentTokenFromHeaders({ authorization: "Basic xyz" }, true))
    assert.isUndefined(agentTokenFromHeaders({}, true))
  })
})
