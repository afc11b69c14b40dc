import { assert, describe, it } from "@effect/vitest"
import type { ReconcileItem } from "@mission-control/core"
import {
  Actor,
  AgentCreate,
  applyGatewayReconcile,
  authenticateAgent,
  createAgent,
  ensureBoardLeadAgent,
  planGatewayReconcile,
  Reconciler,
  syncGatewayTemplates,
  syncGatewayTemplatesAsAdmin
} from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { Duration, Effect, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { testLayer } from "./support/layer.js"

const create = (body: unknown) => Schema.decodeUnknownSync(AgentCreate)(body)

/** A world with a provisioned lead, two workers and the gateway agent, the gateway's calls cleared. */
const provisionedWorld = Effect.gen(function*() {
  const world = yield* Fixtures.world()
  const lead = yield* ensureBoardLeadAgent(world.board, world.owner)
  yield* TestClock.adjust(Duration.seconds(1))
  const first = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "First" }))
  yield* TestClock.adjust(Duration.seconds(1))
  const second = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Second" }))
  yield* syncGatewayTemplatesAsAdmin(world.owner, world.gateway.id, {})
  const memory = yield* MemoryGateway
  memory.clearCalls()
  return { ...world, lead: lead.agent, first: first.id, second: second.id, memory }
})

const kinds = (items: ReadonlyArray<ReconcileItem>) =>
  items.map((item) => `${item.kind} ${item.gatewayAgentId}${"file" in item ? ` ${item.file} ${item.reason}` : ""}`)
    .sort()

// Background fibers do real work (a database, hashing) between clock steps: wait for it in real time.
const eventually = (check: () => boolean) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 400 && !check(); attempt++) {
      yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 5)))
    }
    return check()
  })

const settle = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 300)))

const tokenIn = (content: string | undefined) => /^AUTH_TOKEN=(.*)$/m.exec(content ?? "")?.[1]

describe("planGatewayReconcile", () => {
  it.effect("a gateway with nothing to do: an empty plan, no writes, one files list and one token read per agent", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      world.memory.putAgent(world.gateway.id, "someone-else", "/elsewhere")
      const plan = yield* planGatewayReconcile(world.gateway)
      assert.deepStrictEqual(plan.items, [])
      assert.deepStrictEqual(plan.pending, [])
      assert.deepStrictEqual(plan.foreign, [{
        gatewayAgentId: "someone-else",
        name: "someone-else",
        workspace: "/elsewhere"
      }])
      const methods = world.memory.calls(world.gateway.id).map((call) => call.method)
      const count = (method: string) => methods.filter((candidate) => candidate === method).length
      assert.deepStrictEqual(
        [count("agents.list"), count("agents.files.list"), count("agents.files.get"), count("config.get")],
        [1, 4, 4, 1]
      )
      for (const write of ["agents.files.set", "config.patch", "agents.create", "agents.update", "agents.delete"]) {
        assert.strictEqual(count(write), 0, write)
      }
    }).pipe(Effect.provide(testLayer())))

  it.effect("lists each drift; apply fixes all but the orphan, which only delete_orphans removes", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      const gatewayId = world.gateway.id
      const orphan = "mc-00000000-0000-4000-8000-00000000abcd"
      world.memory.putAgent(gatewayId, orphan, "/srv/orphan")
      world.memory.removeAgent(gatewayId, `mc-${world.first}`)
      world.memory.putFile(gatewayId, `mc-${world.second}`, "SOUL.md", "# edited behind our back\n")
      const leadKey = `lead-${world.board.id}`
      const leadTools = world.memory.file(gatewayId, leadKey, "TOOLS.md")!
      world.memory.putFile(gatewayId, leadKey, "TOOLS.md", leadTools.replace(/AUTH_TOKEN=.*/, "AUTH_TOKEN=stale"))
      const mainKey = `mc-gateway-${gatewayId}`
      const mainWorkspace = world.memory.heartbeats(gatewayId).get(mainKey)!.workspace
      world.memory.putHeartbeat(gatewayId, mainKey, mainWorkspace, { every: "1h" })

      const plan = yield* planGatewayReconcile(world.gateway)
      assert.deepStrictEqual(kinds(plan.items), [
        `file mc-${world.second} SOUL.md differs`,
        `heartbeat ${mainKey}`,
        `missing mc-${world.first}`,
        `orphan ${orphan}`,
        `token ${leadKey} TOOLS.md mismatch`
      ])
      const heartbeat = plan.items.find((item) => item.kind === "heartbeat")
      assert.deepStrictEqual(heartbeat?.kind === "heartbeat" ? heartbeat.current : undefined, { every: "1h" })

      const report = yield* applyGatewayReconcile(world.gateway)
      assert.deepStrictEqual(
        report.reprovisioned.map((outcome) => [outcome.gatewayAgentId, outcome.ok]).sort(),
        [
          [leadKey, true],
          [`mc-${world.first}`, true],
          [`mc-${world.second}`, true]
        ].sort()
      )
      assert.deepStrictEqual(report.heartbeatsPatched, [mainKey])
      assert.deepStrictEqual([report.orphansKept, report.orphansDeleted], [[orphan], []])
      assert.isTrue(world.memory.agents(gatewayId).has(`mc-${world.first}`))
      // The lead's new token is in its file and authenticates.
      const token = tokenIn(world.memory.file(gatewayId, leadKey, "TOOLS.md"))!
      assert.notStrictEqual(token, "stale")
      assert.strictEqual((yield* authenticateAgent(token)).id, world.lead.id)

      const again = yield* planGatewayReconcile(world.gateway)
      assert.deepStrictEqual(kinds(again.items), [`orphan ${orphan}`])
      const deleted = yield* applyGatewayReconcile(world.gateway, { deleteOrphans: true })
      assert.deepStrictEqual([deleted.orphansKept, deleted.orphansDeleted], [[], [orphan]])
      assert.deepStrictEqual((yield* planGatewayReconcile(world.gateway)).items, [])
    }).pipe(Effect.provide(testLayer())))

  it.effect("an agent whose provisioning is unfinished is pending, not missing", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      world.memory.fail({ method: "agents.create", reason: "Rejected", message: "no", times: 1 })
      yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Third" })).pipe(Effect.flip)
      const plan = yield* planGatewayReconcile(world.gateway)
      assert.deepStrictEqual(plan.items, [])
      assert.deepStrictEqual(plan.pending.map((ref) => ref.agentName), ["Third"])
    }).pipe(Effect.provide(testLayer())))
})

describe("workspace writes against the hash read", () => {
  it.effect("a conflict re-reads: a preserved file the agent wrote meanwhile is kept, another file is rewritten", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      const gatewayId = world.gateway.id
      const agentId = `mc-${world.first}`
      const conflict = (name: string, meanwhile: string) =>
        world.memory.fail({
          method: "agents.files.set",
          reason: "Conflict",
          message: `agent file "${name}" changed since it was read`,
          times: 1,
          agentId,
          onFail: () => world.memory.putFile(gatewayId, agentId, name, meanwhile)
        })
      // USER.md is empty, so an update writes it; the agent writes its own between our read and our write.
      world.memory.putFile(gatewayId, agentId, "USER.md", "")
      conflict("USER.md", "# the agent's own notes\n")
      yield* syncGatewayTemplates(world.gateway, { includeMain: false })
      assert.strictEqual(world.memory.file(gatewayId, agentId, "USER.md"), "# the agent's own notes\n")

      const ours = world.memory.file(gatewayId, agentId, "SOUL.md")
      world.memory.putFile(gatewayId, agentId, "SOUL.md", "# old soul\n")
      conflict("SOUL.md", "# the agent's soul\n")
      world.memory.clearCalls()
      yield* syncGatewayTemplates(world.gateway, { includeMain: false })
      assert.strictEqual(world.memory.file(gatewayId, agentId, "SOUL.md"), ours)
      const sets = world.memory.calls(gatewayId).filter((call) =>
        call.method === "agents.files.set" && call.params["agentId"] === agentId
      )
      // Each write names the hash of the content it replaces: the one read, then the one read again.
      assert.strictEqual(sets.length, 2)
      assert.notStrictEqual(sets[0]!.params["expectedHash"], sets[1]!.params["expectedHash"])
      assert.isTrue(sets.every((call) => typeof call.params["expectedHash"] === "string"))
    }).pipe(Effect.provide(testLayer())))
})

describe("Reconciler.layer", () => {
  it.effect("runs every interval over each gateway; a failed gateway is retried soon, and does not stop the others", () =>
    Effect.gen(function*() {
      const world = yield* provisionedWorld
      yield* syncGatewayTemplatesAsAdmin(world.other.admin, world.other.gateway.id, {})
      const mine = `mc-${world.second}`
      const theirs = `mc-gateway-${world.other.gateway.id}`
      world.memory.putFile(world.gateway.id, mine, "SOUL.md", "# drifted\n")
      world.memory.putFile(world.other.gateway.id, theirs, "SOUL.md", "# drifted\n")
      world.memory.fail({
        method: "agents.list",
        reason: "Rejected",
        message: "broken",
        times: Infinity,
        gatewayId: world.gateway.id
      })
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(Reconciler.layer({
          interval: "5 minutes",
          gatewayIds: [world.gateway.id, world.other.gateway.id]
        }))
        const fixed = (gatewayId: string, agentId: string) => () =>
          world.memory.file(gatewayId, agentId, "SOUL.md") !== "# drifted\n"
        yield* TestClock.adjust(Duration.seconds(1))
        assert.isTrue(yield* eventually(fixed(world.other.gateway.id, theirs)))
        assert.isFalse(fixed(world.gateway.id, mine)())
        // The pass finishes (the next one is due 5 minutes after it ends).
        yield* settle
        // The failed gateway is tried again every retry interval: fixed soon after it answers again.
        yield* TestClock.adjust(Duration.seconds(15))
        yield* settle
        assert.isFalse(fixed(world.gateway.id, mine)())
        world.memory.clearFailures()
        yield* TestClock.adjust(Duration.seconds(15))
        assert.isTrue(yield* eventually(fixed(world.gateway.id, mine)))
      }))
      // Stopped with its scope: drift stays.
      world.memory.putFile(world.gateway.id, mine, "SOUL.md", "# drifted again\n")
      yield* TestClock.adjust(Duration.minutes(10))
      yield* settle
      assert.strictEqual(world.memory.file(world.gateway.id, mine, "SOUL.md"), "# drifted again\n")
    }).pipe(Effect.provide(testLayer())))
})
