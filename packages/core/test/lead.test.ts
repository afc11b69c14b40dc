import { assert, describe, it } from "@effect/vitest"
import { Actor, AgentRepository, ensureBoardLead, ensureBoardLeadAgent, leadSessionKey } from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { Effect, Option } from "effect"
import { testLayer } from "./support/layer.js"

describe("ensureBoardLeadAgent", () => {
  it.effect("creates and provisions a lead once; a second call returns it without a gateway call", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const first = yield* ensureBoardLeadAgent(world.board, world.owner, {
        identityProfile: { emoji: " :star: ", role: "  " }
      })
      assert.isTrue(first.created)
      assert.strictEqual(first.agent.name, "Lead Agent")
      assert.isTrue(first.agent.isBoardLead)
      assert.strictEqual(first.agent.openclawSessionId, leadSessionKey(world.board.id))
      assert.deepStrictEqual(first.agent.identityProfile, {
        role: "Board Lead",
        communication_style: "direct, concise, practical",
        emoji: ":star:"
      })
      assert.strictEqual(first.agent.status, "online")
      const methods = gateway.calls().map((call) => call.method)
      assert.notInclude(methods, "sessions.reset")
      assert.strictEqual(methods.at(-1), "chat.send")
      assert.include(gateway.file(world.gateway.id, `lead-${world.board.id}`, "HEARTBEAT.md")!, "Goal intake")

      gateway.clearCalls()
      const second = yield* ensureBoardLeadAgent(world.board, world.owner)
      assert.isFalse(second.created)
      assert.strictEqual(second.agent.id, first.agent.id)
      assert.strictEqual(gateway.calls().length, 0)
    }).pipe(Effect.provide(testLayer())))

  it.effect("fixes the name of an existing lead and provisions one that never was", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const { agent } = yield* Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: world.board.id,
        isBoardLead: true,
        name: "Old Name",
        agentTokenDigest: null,
        provisionAction: "provision"
      })
      const result = yield* ensureBoardLeadAgent(world.board, null, { agentName: "Captain" })
      assert.isFalse(result.created)
      assert.strictEqual(result.agent.id, agent.id)
      assert.strictEqual(result.agent.name, "Captain")
      assert.isNotNull(result.agent.agentTokenDigest)
      assert.isNull(result.agent.provisionAction)
      assert.isTrue(gateway.agents(world.gateway.id).has(`lead-${world.board.id}`))
    }).pipe(Effect.provide(testLayer())))

  it.effect("gives 50 concurrent callers the same single lead", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const results = yield* Effect.all(
        Array.from({ length: 50 }, () => ensureBoardLeadAgent(world.board, world.owner)),
        { concurrency: "unbounded" }
      )
      const ids = new Set(results.map((result) => result.agent.id))
      assert.strictEqual(ids.size, 1)
      assert.strictEqual(results.filter((result) => result.created).length, 1)
      const agents = yield* AgentRepository
      const lead = Option.getOrThrow(yield* agents.findLead(world.board.id))
      assert.isTrue(ids.has(lead.id))
      const creates = gateway.calls().filter((call) => call.method === "agents.create")
      assert.strictEqual(creates.length, 1)
    }).pipe(Effect.provide(testLayer())))

  it.effect("is open to users with write access and the board's gateway agent only", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const reader = yield* ensureBoardLead(Actor.user(world.reader), world.board.id).pipe(Effect.flip)
      assert.deepStrictEqual([reader._tag, reader.detail], ["Forbidden", "Board access denied"])
      const outsider = yield* ensureBoardLead(Actor.user(world.other.admin), world.board.id).pipe(Effect.flip)
      assert.deepStrictEqual([outsider._tag, outsider.detail], ["Forbidden", "No org access"])
      const { agent: otherMain } = yield* Fixtures.agent({
        gatewayId: world.other.gateway.id,
        boardId: null,
        openclawSessionId: `agent:mc-gateway-${world.other.gateway.id}:main`
      })
      const wrongGateway = yield* ensureBoardLead(Actor.agent(otherMain), world.board.id).pipe(Effect.flip)
      assert.strictEqual(wrongGateway.detail, "Only the dedicated gateway agent may call this endpoint.")
      const { agent: main } = yield* Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: null,
        openclawSessionId: `agent:mc-gateway-${world.gateway.id}:main`
      })
      const viaMain = yield* ensureBoardLead(Actor.agent(main), world.board.id)
      assert.isTrue(viaMain.created)
      const viaWriter = yield* ensureBoardLead(Actor.user(world.writer), world.board.id)
      assert.strictEqual(viaWriter.agent.id, viaMain.agent.id)
      assert.isFalse(viaWriter.created)
    }).pipe(Effect.provide(testLayer())))
})
