import { assert, describe, it } from "@effect/vitest"
import {
  AgentRepository,
  createGateway,
  deleteGateway,
  ensureGatewayMainAgent,
  GatewayCreate,
  GatewayRepository,
  GatewayUpdate,
  getGateway,
  listGateways,
  reconcilePendingProvisioning,
  syncGatewayTemplatesAsAdmin,
  TaskRepository,
  toGatewayRead,
  updateGateway
} from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { DateTime, Duration, Effect, Option, Redacted, Schema } from "effect"
import { TestClock } from "effect/testing"
import { testLayer } from "./support/layer.js"

const gatewayBody = (body: unknown) => Schema.decodeUnknownSync(GatewayCreate)(body)

describe("gateway programs", () => {
  it.effect("create provisions the gateway agent; update re-provisions it; the token stays a secret in logs", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const memory = yield* MemoryGateway
      const created = yield* createGateway(
        world.owner,
        gatewayBody({ name: "Edge", url: " ws://127.0.0.1:1 ", workspace_root: "/srv/oc", token: " s3cret " })
      )
      assert.strictEqual(created.url, "ws://127.0.0.1:1")
      // Write-only: the read says a token is set, the store has it trimmed, no answer carries it.
      const read = toGatewayRead(created)
      assert.isTrue(read.has_token)
      assert.notInclude(JSON.stringify(read), "s3cret")
      assert.notInclude(JSON.stringify(created), "s3cret")
      assert.notInclude(String(created), "s3cret")
      const id = created.id
      const stored = Option.getOrThrow(yield* Effect.flatMap(GatewayRepository, (repo) => repo.findById(id)))
      assert.strictEqual(stored.token === null ? null : Redacted.value(stored.token), "s3cret")
      const main = Option.getOrThrow(yield* Effect.flatMap(AgentRepository, (repo) => repo.findGatewayMain(id)))
      assert.strictEqual(main.name, "Edge Gateway Agent")
      assert.strictEqual(main.status, "online")
      assert.deepStrictEqual(main.identityProfile, {
        role: "Gateway Agent",
        communication_style: "direct, concise, practical",
        emoji: ":compass:"
      })
      assert.include(memory.file(id, `mc-gateway-${id}`, "USER.md")!, "Olivia Owner")
      assert.notInclude(String(main), "s3cret")

      const updated = yield* updateGateway(world.owner, id, Schema.decodeUnknownSync(GatewayUpdate)({ name: "Edge 2" }))
      assert.strictEqual(updated.name, "Edge 2")
      const renamed = Option.getOrThrow(yield* Effect.flatMap(AgentRepository, (repo) => repo.findGatewayMain(id)))
      assert.strictEqual(renamed.name, "Edge 2 Gateway Agent")
      assert.strictEqual(renamed.id, main.id)
      assert.strictEqual((yield* getGateway(world.owner, id)).name, "Edge 2")
      const listed = yield* listGateways(world.owner, { limit: 10, offset: 0 })
      assert.strictEqual(listed.total, 2)
      assert.strictEqual((yield* getGateway(world.other.admin, id).pipe(Effect.flip)).detail, "Gateway not found")
    }).pipe(Effect.provide(testLayer())))

  it.effect("delete refuses while boards use the gateway, then removes it with its gateway agent", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const inUse = yield* deleteGateway(world.owner, world.gateway.id).pipe(Effect.flip)
      assert.strictEqual(inUse._tag, "Conflict")
      const spare = yield* Fixtures.gateway(world.organization.id)
      const { agent } = yield* Fixtures.agent({ gatewayId: spare.id, boardId: null })
      const task = yield* Fixtures.task({ assignedAgentId: agent.id, status: "in_progress" })
      yield* deleteGateway(world.owner, spare.id)
      assert.isTrue(Option.isNone(yield* Effect.flatMap(GatewayRepository, (repo) => repo.findById(spare.id))))
      assert.isTrue(Option.isNone(yield* Effect.flatMap(AgentRepository, (repo) => repo.findById(agent.id))))
      const released = Option.getOrThrow(yield* Effect.flatMap(TaskRepository, (repo) => repo.findById(task.id)))
      assert.strictEqual(released.status, "inbox")
    }).pipe(Effect.provide(testLayer())))

  it.effect("the sync route provisions a missing gateway agent first, and needs an owner for it", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const result = yield* syncGatewayTemplatesAsAdmin(world.owner, world.gateway.id, {})
      assert.isTrue(result.mainUpdated)
      const ownerless = yield* Fixtures.organization("Ownerless")
      const admin = yield* Fixtures.user({ activeOrganizationId: ownerless.id })
      yield* Fixtures.member(ownerless.id, admin.id, "admin")
      const gateway = yield* Fixtures.gateway(ownerless.id)
      const withUser = yield* syncGatewayTemplatesAsAdmin(admin, gateway.id, {})
      assert.isTrue(withUser.mainUpdated)
      const other = yield* Fixtures.gateway(ownerless.id)
      const error = yield* ensureGatewayMainAgent(other, null, { action: "provision", wake: false }).pipe(Effect.flip)
      assert.strictEqual(error.detail, "Organization owner not found (required for gateway agent USER.md rendering).")
    }).pipe(Effect.provide(testLayer())))
})

describe("reconcilePendingProvisioning", () => {
  it.effect("completes provisioning that a crash or outage left pending", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const memory = yield* MemoryGateway
      const { agent } = yield* Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: world.board.id,
        status: "updating",
        provisionAction: "update",
        provisionRequestedAt: yield* DateTime.now
      })
      assert.deepStrictEqual(yield* reconcilePendingProvisioning(), [])
      yield* TestClock.adjust(Duration.minutes(6))
      const outcomes = yield* reconcilePendingProvisioning()
      assert.deepStrictEqual(outcomes, [{ agentId: agent.id, ok: true, error: null }])
      const stored = yield* Fixtures.reload(agent.id)
      assert.strictEqual(stored.status, "online")
      assert.isNull(stored.provisionAction)
      assert.isTrue(memory.agents(world.gateway.id).has(`mc-${agent.id}`))
    }).pipe(Effect.provide(testLayer())))
})
