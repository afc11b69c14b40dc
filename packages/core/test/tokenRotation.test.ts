import { assert, describe, it } from "@effect/vitest"
import {
  Actor,
  AgentCreate,
  authenticateAgent,
  createAgent,
  provisionAgentRecord,
  syncGatewayTemplates
} from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { Duration, Effect, Schema } from "effect"
import { TestClock } from "effect/testing"
import { testLayer } from "./support/layer.js"

const create = (body: unknown) => Schema.decodeUnknownSync(AgentCreate)(body)
const tokenIn = (content: string | undefined) => /^AUTH_TOKEN=(.*)$/m.exec(content ?? "")?.[1]

/** A provisioned worker, and the token its workspace holds now. */
const worker = Effect.gen(function*() {
  const world = yield* Fixtures.world()
  const memory = yield* MemoryGateway
  const { id } = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Keyed" }))
  const path = [world.gateway.id, `mc-${id}`, "TOOLS.md"] as const
  const token = () => tokenIn(memory.file(...path))!
  const rotate = provisionAgentRecord(id, {
    action: "update",
    gateway: world.gateway,
    board: world.board,
    user: world.owner,
    wake: false
  })
  return { ...world, id, memory, path, token, rotate }
})

const refused = (token: string) =>
  authenticateAgent(token).pipe(Effect.flip, Effect.map((error) => error._tag === "Unauthorized"))

describe("token rotation without a 401 window", () => {
  it.effect("the previous token works until the grace period ends (10 minutes by default)", () =>
    Effect.gen(function*() {
      const world = yield* worker
      const first = world.token()
      yield* world.rotate
      const second = world.token()
      assert.notStrictEqual(second, first)
      yield* TestClock.adjust(Duration.minutes(9))
      assert.strictEqual((yield* authenticateAgent(first)).id, world.id)
      yield* TestClock.adjust(Duration.minutes(1))
      assert.isTrue(yield* refused(first))
      assert.strictEqual((yield* authenticateAgent(second)).id, world.id)
    }).pipe(Effect.provide(testLayer())))

  it.effect("the first request with the new token ends the grace at once", () =>
    Effect.gen(function*() {
      const world = yield* worker
      const first = world.token()
      yield* world.rotate
      const second = world.token()
      assert.strictEqual((yield* authenticateAgent(first)).id, world.id)
      assert.strictEqual((yield* authenticateAgent(second)).id, world.id)
      assert.isTrue(yield* refused(first))
      const stored = yield* Fixtures.reload(world.id)
      assert.deepStrictEqual([stored.previousTokenDigest, stored.previousTokenValidUntil], [null, null])
    }).pipe(Effect.provide(testLayer())))

  it.effect("only the token just replaced is kept: an older one and a forged one never work", () =>
    Effect.gen(function*() {
      const world = yield* worker
      const first = world.token()
      yield* world.rotate
      const second = world.token()
      yield* world.rotate
      const third = world.token()
      assert.isTrue(yield* refused(first))
      assert.isTrue(yield* refused("not-a-token-of-anyone"))
      assert.strictEqual((yield* authenticateAgent(second)).id, world.id)
      assert.strictEqual((yield* authenticateAgent(third)).id, world.id)
    }).pipe(Effect.provide(testLayer())))

  it.effect("a failed rotation keeps the old token with no grace to end", () =>
    Effect.gen(function*() {
      const world = yield* worker
      const first = world.token()
      world.memory.fail({ method: "agents.files.set", reason: "Rejected", message: "read-only", times: Infinity })
      yield* world.rotate.pipe(Effect.flip)
      const stored = yield* Fixtures.reload(world.id)
      assert.isNull(stored.previousTokenDigest)
      yield* TestClock.adjust(Duration.hours(1))
      assert.strictEqual((yield* authenticateAgent(first)).id, world.id)
    }).pipe(Effect.provide(testLayer())))

  it.effect("template sync's rotate_tokens keeps the previous token valid during the grace period", () =>
    Effect.gen(function*() {
      const world = yield* worker
      const first = world.token()
      world.memory.putFile(...world.path, "no token here")
      const result = yield* syncGatewayTemplates(world.gateway, {
        includeMain: false,
        rotateTokens: true
      })
      assert.deepStrictEqual(result.errors, [])
      const second = world.token()
      assert.notStrictEqual(second, first)
      assert.strictEqual((yield* authenticateAgent(first)).id, world.id)
      yield* TestClock.adjust(Duration.minutes(10))
      assert.isTrue(yield* refused(first))
      assert.strictEqual((yield* authenticateAgent(second)).id, world.id)
    }).pipe(Effect.provide(testLayer())))
})
