// Adopting agents that already exist on a gateway: discover, link (brought under management), unlink (left on the
// gateway), on the in-memory gateway and the selected store.
import { assert, describe, it } from "@effect/vitest"
import type { AgentLink } from "@mission-control/core"
import {
  Actor,
  AgentCreate,
  AgentRepository,
  authenticateAgent,
  Board,
  BoardRepository,
  createAgent,
  discoverGatewayAgents,
  linkGatewayAgent,
  planGatewayReconcile,
  reconcilePendingProvisioning,
  syncGatewayTemplates,
  TaskRepository,
  unlinkAgent
} from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { Duration, Effect, Option, Schema } from "effect"
import { TestClock } from "effect/testing"
import { testLayer } from "./support/layer.js"

const orphanId = "mc-00000000-0000-4000-8000-00000000a001"
/** Where Mission Control keeps a gateway agent's workspace on the world's gateway (root `~/.openclaw`). */
const managedWorkspace = (gatewayAgentId: string) => `~/.openclaw/workspace-${gatewayAgentId}`

/** A world whose gateway has an orphan of our naming and an agent made on the gateway itself, each with files. */
const adoptionWorld = Effect.gen(function*() {
  const world = yield* Fixtures.world()
  const memory = yield* MemoryGateway
  const gatewayId = world.gateway.id
  memory.putAgent(gatewayId, orphanId, managedWorkspace(orphanId))
  memory.putFile(gatewayId, orphanId, "MEMORY.md", "# what the orphan remembers\n")
  memory.putAgent(gatewayId, "amy", "/srv/agents/amy")
  memory.putFile(gatewayId, "amy", "SOUL.md", "# Amy's own soul\n")
  return { ...world, memory }
})

const link = (fields: Partial<AgentLink> & Pick<AgentLink, "gatewayAgentId" | "boardId">): AgentLink => ({
  name: "Adopted",
  role: null,
  isBoardLead: false,
  gatewayId: null,
  ...fields
})

const tokenIn = (content: string | undefined) => /^AUTH_TOKEN=(.*)$/m.exec(content ?? "")?.[1]

const gatewayWrites = ["agents.create", "agents.update", "agents.delete", "agents.files.set", "config.patch"]

describe("discoverGatewayAgents", () => {
  it.effect("lists every gateway agent with what it is: managed (its record), orphan, foreign", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      const created = yield* createAgent(
        Actor.user(world.owner),
        Schema.decodeUnknownSync(AgentCreate)({ board_id: world.board.id, name: "Made Here" })
      )
      world.memory.clearCalls()
      const discovered = yield* discoverGatewayAgents(world.owner, world.gateway.id)
      const byId = new Map(discovered.map((agent) => [agent.gatewayAgentId, agent]))
      assert.deepStrictEqual(
        [...byId.values()].map((agent) => [agent.gatewayAgentId, agent.kind]).sort(),
        [[`mc-${created.id}`, "managed"], ["amy", "foreign"], [orphanId, "orphan"]].sort()
      )
      assert.strictEqual(byId.get(`mc-${created.id}`)?.agent?.id, created.id)
      assert.strictEqual(byId.get(orphanId)?.agent, null)
      assert.strictEqual(byId.get("amy")?.workspace, "/srv/agents/amy")
      // A read: one agents.list, nothing written.
      const methods = world.memory.calls(world.gateway.id).map((call) => call.method)
      assert.deepStrictEqual(methods, ["agents.list"])
    }).pipe(Effect.provide(testLayer())))

  it.effect("names an agent another gateway row's record is addressed by as managed elsewhere, without the record", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      const elsewhere = yield* Fixtures.agent({ gatewayId: world.other.gateway.id, boardId: world.other.board.id })
      world.memory.putAgent(world.gateway.id, `mc-${elsewhere.agent.id}`, "/anywhere")
      const discovered = yield* discoverGatewayAgents(world.owner, world.gateway.id)
      const found = discovered.find((agent) => agent.gatewayAgentId === `mc-${elsewhere.agent.id}`)
      assert.deepStrictEqual([found?.kind, found?.agent], ["managed_elsewhere", null])
      const refused = yield* Effect.flip(linkGatewayAgent(
        world.owner,
        link({ gatewayAgentId: `mc-${elsewhere.agent.id}`, boardId: world.board.id })
      ))
      assert.deepStrictEqual(
        [refused._tag, refused.detail],
        ["Conflict", `Agent 'mc-${elsewhere.agent.id}' is already linked to Mission Control`]
      )
    }).pipe(Effect.provide(testLayer())))

  it.effect("is for org admins of the gateway's organization; a gateway failure is the reference's 502", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      const member = yield* Effect.flip(discoverGatewayAgents(world.writer, world.gateway.id))
      assert.deepStrictEqual([member._tag, member.detail], ["Forbidden", "Forbidden"])
      const other = yield* Effect.flip(discoverGatewayAgents(world.other.admin, world.gateway.id))
      assert.deepStrictEqual([other._tag, other.detail], ["NotFound", "Gateway not found"])
      world.memory.fail({ method: "agents.list", reason: "Rejected", message: "scope missing", times: 1 })
      const failed = yield* Effect.flip(discoverGatewayAgents(world.owner, world.gateway.id))
      assert.deepStrictEqual(
        [failed._tag, failed.detail],
        ["GatewayFailure", "Failed to fetch agents from gateway: scope missing"]
      )
    }).pipe(Effect.provide(testLayer())))
})

describe("linkGatewayAgent", () => {
  it.effect("makes an orphan a managed agent: same gateway agent and workspace, files and token written, woken", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      const gatewayId = world.gateway.id
      world.memory.clearCalls()
      const agent = yield* linkGatewayAgent(
        world.owner,
        link({ gatewayAgentId: orphanId, boardId: world.board.id, name: "Found Again", role: "Researcher" })
      )
      assert.deepStrictEqual(
        [agent.adoptedGatewayAgentId, agent.openclawSessionId, agent.boardId, agent.gatewayId, agent.name],
        [orphanId, `agent:${orphanId}:main`, world.board.id, gatewayId, "Found Again"]
      )
      assert.deepStrictEqual([agent.status, agent.provisionAction, agent.lastProvisionError], ["online", null, null])
      assert.deepStrictEqual(agent.identityProfile, { role: "Researcher" })
      // The record round-trips through the store with its adopted id.
      const stored = yield* Fixtures.reload(agent.id)
      assert.strictEqual(stored.adoptedGatewayAgentId, orphanId)

      // No new gateway agent; the orphan's workspace stays where it was.
      const onGateway = world.memory.agents(gatewayId)
      assert.deepStrictEqual([...onGateway.keys()].sort(), ["amy", orphanId].sort())
      assert.strictEqual(onGateway.get(orphanId)?.workspace, managedWorkspace(orphanId))
      assert.strictEqual(onGateway.get(orphanId)?.name, "Found Again")
      // Templates written, the agent's memory kept, the token written and valid for this record.
      assert.include(world.memory.file(gatewayId, orphanId, "AGENTS.md") ?? "", "Found Again")
      assert.strictEqual(world.memory.file(gatewayId, orphanId, "MEMORY.md"), "# what the orphan remembers\n")
      const token = tokenIn(world.memory.file(gatewayId, orphanId, "TOOLS.md"))
      assert.isDefined(token)
      assert.strictEqual((yield* authenticateAgent(token)).id, agent.id)
      // Heartbeat settings for the gateway agent; the session woken, never reset.
      assert.strictEqual(world.memory.heartbeats(gatewayId).get(orphanId)?.workspace, managedWorkspace(orphanId))
      const methods = world.memory.calls(gatewayId).map((call) => call.method)
      assert.notInclude(methods, "sessions.reset")
      const wakeups = world.memory.chats(gatewayId).filter((chat) => chat.sessionKey === `agent:${orphanId}:main`)
      assert.strictEqual(wakeups.length, 1)
      assert.include(wakeups[0]!.message, "linked to Mission Control")

      // The reconciler now addresses it as provisioning did: nothing to do, no orphan.
      const plan = yield* planGatewayReconcile(world.gateway)
      assert.deepStrictEqual(plan.items, [])
      assert.deepStrictEqual(plan.foreign.map((foreign) => foreign.gatewayAgentId), ["amy"])
      // So does a template sync: it reads the token back from the adopted agent's own files and updates them there.
      const sync = yield* syncGatewayTemplates(world.gateway, { includeMain: false })
      assert.deepStrictEqual([sync.agentsUpdated, sync.agentsSkipped, sync.errors], [1, 0, []])
      assert.strictEqual(tokenIn(world.memory.file(gatewayId, orphanId, "TOOLS.md")), token)
      assert.deepStrictEqual([...world.memory.agents(gatewayId).keys()].sort(), ["amy", orphanId].sort())
    }).pipe(Effect.provide(testLayer())))

  it.effect("takes a workspace under a `~` root at the gateway's expansion of it", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      world.memory.putAgent(world.gateway.id, "cleo", "/home/op/.openclaw/workspace-cleo")
      const agent = yield* linkGatewayAgent(world.owner, link({ gatewayAgentId: "cleo", boardId: world.board.id }))
      assert.strictEqual(agent.adoptedGatewayAgentId, "cleo")
      assert.isDefined(tokenIn(world.memory.file(world.gateway.id, "cleo", "TOOLS.md")))
    }).pipe(Effect.provide(testLayer())))

  it.effect("keeps the heartbeat settings the gateway holds for the agent", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      const gateway = yield* Fixtures.gateway(world.organization.id, { workspaceRoot: "/home/op/.openclaw/" })
      const board = yield* Fixtures.board(world.organization.id, gateway.id, { name: "Amy's", slug: "amys" })
      world.memory.putAgent(gateway.id, "amy", "/home/op/.openclaw/workspace-amy")
      world.memory.putHeartbeat(gateway.id, "amy", "/home/op/.openclaw/workspace-amy", { every: "30m" })
      const agent = yield* linkGatewayAgent(
        world.owner,
        link({ gatewayAgentId: "amy", boardId: board.id, gatewayId: gateway.id, name: "Amy", isBoardLead: true })
      )
      assert.deepStrictEqual([agent.isBoardLead, agent.heartbeatConfig?.["every"]], [true, "30m"])
      assert.strictEqual(world.memory.heartbeats(gateway.id).get("amy")?.heartbeat["every"], "30m")
      assert.strictEqual(world.memory.agents(gateway.id).get("amy")?.workspace, "/home/op/.openclaw/workspace-amy")
    }).pipe(Effect.provide(testLayer())))

  it.effect("refuses with the reference's texts: unknown on the gateway, already linked, another gateway's board", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      const board = world.board.id
      const unknown = yield* Effect.flip(
        linkGatewayAgent(world.owner, link({ gatewayAgentId: "nobody", boardId: board }))
      )
      assert.deepStrictEqual([unknown._tag, unknown.detail], ["NotFound", "Agent 'nobody' not found on gateway"])

      yield* linkGatewayAgent(world.owner, link({ gatewayAgentId: orphanId, boardId: board }))
      const again = yield* Effect.flip(
        linkGatewayAgent(world.owner, link({ gatewayAgentId: orphanId, boardId: board, name: "Twice" }))
      )
      assert.deepStrictEqual([again._tag, again.detail], [
        "Conflict",
        `Agent '${orphanId}' is already linked to Mission Control`
      ])

      const second = yield* Fixtures.gateway(world.organization.id, { name: "Second" })
      const wrongGateway = yield* Effect.flip(linkGatewayAgent(
        world.owner,
        link({ gatewayAgentId: "amy", boardId: board, gatewayId: second.id })
      ))
      assert.deepStrictEqual([wrongGateway._tag, wrongGateway.detail], [
        "Unprocessable",
        "Board belongs to another gateway"
      ])
      const main = yield* Effect.flip(
        linkGatewayAgent(world.owner, link({ gatewayAgentId: `mc-gateway-${world.gateway.id}`, boardId: board }))
      )
      assert.deepStrictEqual([main._tag, main.detail], [
        "Unprocessable",
        "A gateway main agent cannot be linked to a board"
      ])
    }).pipe(Effect.provide(testLayer())))

  it.effect("refuses a workspace that Mission Control would move, and the create rules: name, lead, max_agents", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      const board = world.board.id
      world.memory.clearCalls()
      // Amy lives in /srv/agents; this gateway's workspaces are under ~/.openclaw: `agents.update` would move her.
      const moved = yield* Effect.flip(linkGatewayAgent(world.owner, link({ gatewayAgentId: "amy", boardId: board })))
      assert.deepStrictEqual([moved._tag, moved.detail], [
        "Unprocessable",
        "Agent 'amy' has its workspace at /srv/agents/amy, not at ~/.openclaw/workspace-amy where " +
        "Mission Control keeps the workspaces of this gateway (workspace_root)"
      ])
      const writes = world.memory.calls(world.gateway.id).filter((call) => gatewayWrites.includes(call.method))
      assert.deepStrictEqual(writes, [])

      const taken = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: board, name: "Taken" })
      const name = yield* Effect.flip(
        linkGatewayAgent(world.owner, link({ gatewayAgentId: orphanId, boardId: board, name: "taken" }))
      )
      assert.deepStrictEqual([name._tag, name.detail], [
        "Conflict",
        "An agent with this name already exists on this board."
      ])
      // The board allows one worker (the default `max_agents`), which `Taken` is.
      const full = yield* Effect.flip(linkGatewayAgent(world.owner, link({ gatewayAgentId: orphanId, boardId: board })))
      assert.deepStrictEqual([full._tag, full.detail], [
        "Conflict",
        "Board worker-agent limit reached: max_agents=1 (excluding the lead); cannot create more than 1 agent."
      ])
      yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: board, name: "Lead", isBoardLead: true })
      const lead = yield* Effect.flip(
        linkGatewayAgent(world.owner, link({ gatewayAgentId: orphanId, boardId: board, isBoardLead: true }))
      )
      assert.deepStrictEqual([lead._tag, lead.detail], ["Conflict", "This board already has a lead agent."])
      assert.isFalse(taken.agent.isBoardLead)
    }).pipe(Effect.provide(testLayer())))

  it.effect("a gateway refusing the workspace write: 502, the link recorded with its update pending, finished later", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      world.memory.fail({ method: "agents.files.set", reason: "Rejected", message: "disk full", times: 1 })
      const failed = yield* Effect.flip(
        linkGatewayAgent(world.owner, link({ gatewayAgentId: orphanId, boardId: world.board.id }))
      )
      assert.deepStrictEqual([failed._tag, failed.detail], ["GatewayFailure", "Gateway update failed: disk full"])
      const discovered = yield* discoverGatewayAgents(world.owner, world.gateway.id)
      const pending = discovered.find((agent) => agent.gatewayAgentId === orphanId)?.agent
      assert.deepStrictEqual(
        [pending?.provisionAction, pending?.agentTokenDigest, pending?.lastProvisionError],
        ["update", null, "disk full"]
      )
      // Provisioning it again (as the pending-provisioning sweep does) completes it in place.
      yield* TestClock.adjust(Duration.minutes(10))
      const outcomes = yield* reconcilePendingProvisioning()
      assert.deepStrictEqual(outcomes.map((outcome) => [outcome.agentId, outcome.ok]), [[pending!.id, true]])
      const token = tokenIn(world.memory.file(world.gateway.id, orphanId, "TOOLS.md"))
      assert.strictEqual((yield* authenticateAgent(token)).id, pending!.id)
      assert.deepStrictEqual([...world.memory.agents(world.gateway.id).keys()].sort(), ["amy", orphanId].sort())
    }).pipe(Effect.provide(testLayer())))

  it.effect("is for org admins with write access to the board", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      const request = link({ gatewayAgentId: orphanId, boardId: world.board.id })
      const member = yield* Effect.flip(linkGatewayAgent(world.writer, request))
      assert.deepStrictEqual([member._tag, member.detail], ["Forbidden", "Forbidden"])
      const other = yield* Effect.flip(linkGatewayAgent(world.other.admin, request))
      assert.deepStrictEqual([other._tag, other.detail], ["Forbidden", "No org access"])
      assert.strictEqual(world.memory.agents(world.gateway.id).get(orphanId)?.name, orphanId)
    }).pipe(Effect.provide(testLayer())))

  it.effect("two links of one gateway agent at once: one record, the other 409", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      yield* Effect.flatMap(
        BoardRepository,
        (boards) => boards.update(new Board({ ...world.board, maxAgents: 5 }), ["maxAgents"])
      )
      const outcomes = yield* Effect.all(
        ["One", "Two"].map((name) =>
          Effect.result(
            linkGatewayAgent(world.owner, link({ gatewayAgentId: orphanId, boardId: world.board.id, name }))
          )
        ),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(outcomes.map((outcome) => outcome._tag).sort(), ["Failure", "Success"])
      const failure = outcomes.find((outcome) => outcome._tag === "Failure")
      assert.strictEqual(failure?._tag === "Failure" ? failure.failure._tag : undefined, "Conflict")
      const discovered = yield* discoverGatewayAgents(world.owner, world.gateway.id)
      assert.strictEqual(discovered.find((agent) => agent.gatewayAgentId === orphanId)?.kind, "managed")
    }).pipe(Effect.provide(testLayer())))
})

describe("unlinkAgent", () => {
  it.effect("removes the record and its token; the gateway agent and its files stay, an orphan for the reconciler", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      const gatewayId = world.gateway.id
      const agent = yield* linkGatewayAgent(world.owner, link({ gatewayAgentId: orphanId, boardId: world.board.id }))
      const token = tokenIn(world.memory.file(gatewayId, orphanId, "TOOLS.md"))!
      const files = new Map(world.memory.agents(gatewayId).get(orphanId)!.files)
      world.memory.clearCalls()

      yield* unlinkAgent(world.owner, agent.id)
      assert.isTrue(Option.isNone(yield* Effect.flatMap(AgentRepository, (agents) => agents.findById(agent.id))))
      const unauthorized = yield* Effect.flip(authenticateAgent(token))
      assert.strictEqual(unauthorized._tag, "Unauthorized")
      assert.deepStrictEqual(world.memory.calls(gatewayId), [])
      assert.deepStrictEqual(new Map(world.memory.agents(gatewayId).get(orphanId)!.files), files)

      const plan = yield* planGatewayReconcile(world.gateway)
      assert.deepStrictEqual(plan.items.map((item) => [item.kind, item.gatewayAgentId]), [["orphan", orphanId]])
      const discovered = yield* discoverGatewayAgents(world.owner, gatewayId)
      assert.strictEqual(discovered.find((found) => found.gatewayAgentId === orphanId)?.kind, "orphan")
      // It may be linked again.
      const again = yield* linkGatewayAgent(world.owner, link({ gatewayAgentId: orphanId, boardId: world.board.id }))
      assert.notStrictEqual(again.id, agent.id)
    }).pipe(Effect.provide(testLayer())))

  it.effect("unlinks an agent Mission Control created too, releasing its tasks; refuses the gateway main agent", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      const created = yield* createAgent(
        Actor.user(world.owner),
        Schema.decodeUnknownSync(AgentCreate)({ board_id: world.board.id, name: "Made Here" })
      )
      const task = yield* Fixtures.task({ boardId: world.board.id, status: "in_progress", assignedAgentId: created.id })
      yield* unlinkAgent(world.owner, created.id)
      assert.isTrue(world.memory.agents(world.gateway.id).has(`mc-${created.id}`))
      const plan = yield* planGatewayReconcile(world.gateway)
      assert.deepStrictEqual(
        plan.items.map((item) => [item.kind, item.gatewayAgentId]).sort(),
        [["orphan", `mc-${created.id}`], ["orphan", orphanId]].sort()
      )
      const released = yield* Effect.flatMap(TaskRepository, (tasks) => tasks.findById(task.id))
      assert.strictEqual(Option.getOrThrow(released).assignedAgentId, null)

      const main = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: null })
      const refused = yield* Effect.flip(unlinkAgent(world.owner, main.agent.id))
      assert.deepStrictEqual([refused._tag, refused.detail], [
        "Unprocessable",
        "A gateway main agent cannot be unlinked"
      ])
    }).pipe(Effect.provide(testLayer())))

  it.effect("is for org admins with write access: 403 for members, 404 for another organization and unknown agents", () =>
    Effect.gen(function*() {
      const world = yield* adoptionWorld
      const worker = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      const member = yield* Effect.flip(unlinkAgent(world.writer, worker.agent.id))
      assert.strictEqual(member._tag, "Forbidden")
      const other = yield* Effect.flip(unlinkAgent(world.other.admin, worker.agent.id))
      assert.deepStrictEqual([other._tag, other.detail], ["NotFound", "Not Found"])
      yield* unlinkAgent(world.owner, worker.agent.id)
      const gone = yield* Effect.flip(unlinkAgent(world.owner, worker.agent.id))
      assert.deepStrictEqual([gone._tag, gone.detail], ["NotFound", "Not Found"])
    }).pipe(Effect.provide(testLayer())))
})
