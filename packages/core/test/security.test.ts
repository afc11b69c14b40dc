// Regressions of the adversarial run (issue 12) at the level of the programs; the HTTP side is in adapter-express.
import { assert, describe, it } from "@effect/vitest"
import {
  Actor,
  AgentCreate,
  AgentRepository,
  AgentUpdate,
  authenticateAgent,
  createAgent,
  createGateway,
  GatewayCreate,
  GatewayRepository,
  heartbeatOrCreateAgent,
  jsonLimitViolation,
  updateAgent
} from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { Effect, Fiber, Option, Schema } from "effect"
import { TestClock } from "effect/testing"
import { runWithTestClock } from "./support/clock.js"
import { testLayer } from "./support/layer.js"

const create = Schema.decodeUnknownSync(AgentCreate)
const patch = Schema.decodeUnknownSync(AgentUpdate)
const gatewayBody = Schema.decodeUnknownSync(GatewayCreate)

describe("an agent's token across failed and abandoned updates", () => {
  it.effect("a gateway refusing the files answers 502 and the old token still authenticates", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const { agent, token } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      gateway.fail({ method: "agents.files.set", reason: "Rejected", message: "disk full", times: Infinity })
      const error = yield* updateAgent(world.owner, agent.id, patch({ identity_profile: { role: "Critic" } }), {
        force: false
      }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "GatewayFailure")
      assert.strictEqual((yield* authenticateAgent(token)).id, agent.id)
      const stored = yield* Fixtures.reload(agent.id)
      assert.strictEqual(stored.agentTokenDigest, agent.agentTokenDigest)
      assert.strictEqual(stored.status, "online")
    }).pipe(Effect.provide(testLayer())))

  it.effect("a caller leaving mid-update leaves the agent neither updating nor locked out", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const { agent, token } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      // The gateway stalls: every call times out, and the update keeps retrying until its deadline.
      gateway.fail({ method: "agents.files.set", reason: "Timeout", message: "stalled", times: Infinity })
      const request = yield* Effect.forkChild(
        updateAgent(world.owner, agent.id, patch({ name: "Renamed" }), { force: false })
      )
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.interrupt(request) // the client gave up
      assert.strictEqual((yield* authenticateAgent(token)).id, agent.id)
      // The update goes on without its caller and ends by its deadline, recording why.
      yield* TestClock.adjust("2 minutes")
      const stored = yield* Fixtures.reload(agent.id)
      assert.notStrictEqual(stored.status, "updating")
      assert.strictEqual(stored.agentTokenDigest, agent.agentTokenDigest)
      assert.strictEqual((yield* authenticateAgent(token)).id, agent.id)
    }).pipe(Effect.provide(testLayer())))
})

describe("creating an agent again after a failed create", () => {
  it.effect("a create that failed with 502 can be retried with the same name: one agent, no 409", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      gateway.fail({ method: "agents.create", reason: "Rejected", message: "quota", times: 1 })
      const first = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Retry" }))
        .pipe(
          Effect.flip
        )
      assert.strictEqual(first._tag, "GatewayFailure")
      const second = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Retry" }))
      const agents = yield* AgentRepository
      const named = yield* agents.findByNameOnBoard(world.board.id, "Retry")
      assert.strictEqual(second.id, Option.getOrThrow(named).id)
      assert.isNotNull((yield* Fixtures.reload(second.id)).agentTokenDigest)
      // A completed create still answers 409 to a second one.
      const third = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Retry" }))
        .pipe(
          Effect.flip
        )
      assert.strictEqual(third._tag, "Conflict")
    }).pipe(Effect.provide(testLayer())))
})

describe("heartbeat by name", () => {
  it.effect("never finds or reveals another organization's agent of that name", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      yield* Fixtures.agent({ gatewayId: world.other.gateway.id, boardId: world.other.board.id, name: "Researcher" })
      const theirs = yield* heartbeatOrCreateAgent(Actor.user(world.owner), {
        name: "Researcher",
        boardId: null,
        status: null
      }).pipe(Effect.flip)
      const nowhere = yield* heartbeatOrCreateAgent(Actor.user(world.owner), {
        name: "Nobody Anywhere",
        boardId: null,
        status: null
      }).pipe(Effect.flip)
      assert.deepStrictEqual([theirs._tag, theirs.detail], [nowhere._tag, nowhere.detail])
      assert.strictEqual(theirs.detail, "board_id is required")
    }).pipe(Effect.provide(testLayer())))
})

describe("creating a gateway that cannot be reached", () => {
  it.effect("fails within the check's deadline, names the URL and the cause but not the address, saves nothing", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      gateway.fail({
        method: "connect",
        reason: "Transport",
        message: "connect ECONNREFUSED 10.9.8.7:2",
        times: Infinity
      })
      const error = yield* runWithTestClock(
        createGateway(
          world.owner,
          gatewayBody({ name: "Far", url: "ws://far.internal:2", workspace_root: "/srv/far" })
        ),
        { step: "5 seconds", limit: "1 minute" }
      ).pipe(Effect.flip)
      assert.strictEqual(error._tag, "GatewayFailure")
      assert.strictEqual(
        error.detail,
        "Gateway provision failed: cannot reach the gateway at ws://far.internal:2 (connection refused)"
      )
      assert.notInclude(error.detail, "10.9.8.7")
      const page = yield* Effect.flatMap(
        GatewayRepository,
        (gateways) => gateways.listByOrganization(world.organization.id, { limit: 200, offset: 0 })
      )
      assert.isFalse(page.items.some((saved) => saved.name === "Far"))
    }).pipe(Effect.provide(testLayer())))
})

describe("JSON limits", () => {
  it("refuses JSON nested past the limit, or holding a NUL character, without recursion", () => {
    let deep: unknown = "leaf"
    for (let index = 0; index < 100_000; index++) deep = [deep]
    assert.include(jsonLimitViolation(deep) ?? "", "nested at most 16")
    assert.include(jsonLimitViolation({ key: "a\u0000b" }) ?? "", "NUL")
    assert.isUndefined(jsonLimitViolation({ every: "10m", nested: { ok: [1, 2, { three: true }] } }))
  })
})
