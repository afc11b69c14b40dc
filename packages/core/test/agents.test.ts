import { assert, describe, it } from "@effect/vitest"
import {
  ActivityRepository,
  Actor,
  AgentCreate,
  AgentRepository,
  AgentUpdate,
  createAgent,
  createAgentAsLead,
  deleteAgent,
  deleteAgentAsLead,
  getAgent,
  heartbeatAgent,
  heartbeatOrCreateAgent,
  listAgents,
  TaskRepository,
  updateAgent,
  workerSessionKey
} from "@mission-control/core"
import type { AgentId, BoardId } from "@mission-control/core"
import { Fixtures, MemoryGateway, MemoryStore, TestKit } from "@mission-control/core/testing"
import { DateTime, Duration, Effect, Option, Schema } from "effect"
import { TestClock } from "effect/testing"
import { onMemory, testLayer } from "./support/layer.js"
import { shownStatus } from "./support/status.js"

const create = (body: unknown) => Schema.decodeUnknownSync(AgentCreate)(body)
const patch = (body: unknown) => Schema.decodeUnknownSync(AgentUpdate)(body)
const methods = (calls: ReadonlyArray<{ readonly method: string }>) => calls.map((call) => call.method)

/** The world's board with a lead and a worker, and the gateway agent of its gateway. */
const leadWorkerAndMain = (world: Effect.Success<ReturnType<typeof Fixtures.world>>) =>
  Effect.gen(function*() {
    const onBoard = { gatewayId: world.gateway.id, boardId: world.board.id }
    const { agent: lead } = yield* Fixtures.agent({ ...onBoard, isBoardLead: true })
    const { agent: worker } = yield* Fixtures.agent(onBoard)
    const { agent: main } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: null })
    return { lead, worker, main }
  })

describe("createAgent", () => {
  it.effect("provisions a new board agent and returns it as provisioning", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const created = yield* createAgent(
        Actor.user(world.owner),
        create({ board_id: world.board.id, name: "  Writer " })
      )
      assert.strictEqual(created.name, "Writer")
      assert.strictEqual(yield* shownStatus(created), "provisioning")
      assert.isNotNull(created.boardId)
      assert.strictEqual(created.openclawSessionId, workerSessionKey(created.id))

      const stored = yield* Fixtures.reload(created.id)
      assert.strictEqual(stored.status, "online")
      assert.isNull(stored.provisionAction)
      assert.isNotNull(stored.agentTokenDigest)

      const calls = methods(gateway.calls(world.gateway.id))
      assert.deepStrictEqual(calls.slice(0, 4), ["agents.create", "agents.update", "config.get", "config.patch"])
      assert.strictEqual(calls[4], "agents.files.list")
      assert.deepStrictEqual(calls.slice(-3), ["sessions.reset", "sessions.patch", "chat.send"])
      const chat = gateway.chats(world.gateway.id)[0]!
      assert.isTrue(chat.deliver)
      assert.isTrue(chat.message.startsWith("Hello Writer. Your workspace has been provisioned."))

      const agentKey = `mc-${created.id}`
      const tools = gateway.file(world.gateway.id, agentKey, "TOOLS.md")!
      assert.match(tools, /^AUTH_TOKEN=[A-Za-z0-9_-]{43}$/m)
      assert.include(tools, `BOARD_ID=${world.board.id}`)

      const activity = yield* Effect.flatMap(ActivityRepository, (repo) => repo.listByAgent(created.id))
      assert.deepStrictEqual(activity.map((event) => [event.eventType, event.message]), [
        ["agent.provision.direct", "Provisioned directly for Writer."],
        ["agent.wakeup.sent", "Wakeup message sent to Writer."]
      ])
    }).pipe(Effect.provide(testLayer())))

  it.effect("refuses a name taken on the board or in the gateway, ignoring case, without a gateway call", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: "Scout" })
      const second = yield* Fixtures.board(world.organization.id, world.gateway.id, { name: "Second" })
      gateway.clearCalls()
      const onBoard = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "scout" }))
        .pipe(Effect.flip)
      assert.deepStrictEqual([onBoard._tag, onBoard.detail], [
        "Conflict",
        "An agent with this name already exists on this board."
      ])
      const inGateway = yield* createAgent(Actor.user(world.owner), create({ board_id: second.id, name: "SCOUT" }))
        .pipe(Effect.flip)
      assert.strictEqual(inGateway.detail, "An agent with this name already exists in this gateway workspace.")
      const wildcard = yield* createAgent(Actor.user(world.owner), create({ board_id: second.id, name: "Sc_ut" }))
      assert.strictEqual(wildcard.name, "Sc_ut")
      assert.deepStrictEqual(methods(gateway.calls()).filter((m) => m === "agents.create").length, 1)
    }).pipe(Effect.provide(testLayer())))

  it.effect("needs a board with a usable gateway", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const bare = yield* Fixtures.board(world.organization.id, null)
      const noGateway = yield* createAgent(Actor.user(world.owner), create({ board_id: bare.id, name: "A" })).pipe(
        Effect.flip
      )
      assert.deepStrictEqual([noGateway._tag, noGateway.detail], ["Unprocessable", "Board gateway_id is required"])
      const rootless = yield* Fixtures.gateway(world.organization.id, { workspaceRoot: " " })
      const rootBoard = yield* Fixtures.board(world.organization.id, rootless.id)
      const noRoot = yield* createAgent(Actor.user(world.owner), create({ board_id: rootBoard.id, name: "A" })).pipe(
        Effect.flip
      )
      assert.strictEqual(noRoot.detail, "Gateway workspace_root is required")
      const foreign = yield* Fixtures.board(world.organization.id, world.other.gateway.id)
      const invalid = yield* createAgent(Actor.user(world.owner), create({ board_id: foreign.id, name: "A" })).pipe(
        Effect.flip
      )
      assert.strictEqual(invalid.detail, "Board gateway_id is invalid")
      const urlless = yield* Fixtures.gateway(world.organization.id, { url: "" })
      const urlBoard = yield* Fixtures.board(world.organization.id, urlless.id)
      const noUrl = yield* createAgent(Actor.user(world.owner), create({ board_id: urlBoard.id, name: "A" })).pipe(
        Effect.flip
      )
      assert.strictEqual(noUrl.detail, "Gateway url is required")
      const noBoard = yield* createAgent(Actor.user(world.owner), create({ name: "A" })).pipe(Effect.flip)
      assert.strictEqual(noBoard.detail, "board_id is required")
      const missing = yield* createAgent(Actor.user(world.owner), create({ board_id: crypto.randomUUID(), name: "A" }))
        .pipe(Effect.flip)
      assert.deepStrictEqual([missing._tag, missing.detail], ["NotFound", "Board not found"])
    }).pipe(Effect.provide(testLayer())))

  it.effect("answers 502 when the gateway refuses, keeping the record with the error and an activity entry", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      gateway.fail({ method: "agents.update", reason: "Rejected", message: "nope", times: 1 })
      const error = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Broken" }))
        .pipe(Effect.flip)
      assert.deepStrictEqual([error._tag, error.detail], ["GatewayFailure", "Gateway provision failed: nope"])
      const agents = yield* AgentRepository
      const stored = Option.getOrThrow(yield* agents.findByNameOnBoard(world.board.id, "Broken"))
      assert.strictEqual(stored.status, "provisioning")
      assert.strictEqual(stored.lastProvisionError, "nope")
      assert.strictEqual(stored.provisionAction, "provision")
      const activity = yield* Effect.flatMap(ActivityRepository, (repo) => repo.listByAgent(stored.id))
      assert.deepStrictEqual(activity.map((event) => event.message), ["Provision message failed: nope"])
    }).pipe(Effect.provide(testLayer())))

  it.effect("answers 500 when a template cannot render", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const error = yield* createAgent(
        Actor.user(world.owner),
        create({ board_id: world.board.id, name: "Odd", identity_template: "{{ no_such_variable }}" })
      ).pipe(Effect.flip)
      assert.deepStrictEqual([error._tag, error.detail], [
        "Internal",
        "Unexpected error provisioning agent provisioning."
      ])
    }).pipe(Effect.provide(testLayer())))

  it.effect("lets a board lead create on its own board only", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world({ board: { maxAgents: 5 } })
      const { agent: lead } = yield* Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: world.board.id,
        isBoardLead: true
      })
      const { agent: worker } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      const created = yield* createAgent(Actor.agent(lead), create({ name: "Helper" }))
      assert.strictEqual(created.boardId, world.board.id)
      const elsewhere = yield* createAgent(Actor.agent(lead), create({ name: "X", board_id: world.other.board.id }))
        .pipe(Effect.flip)
      assert.strictEqual(elsewhere.detail, "Board leads can only create agents in their own board")
      const notLead = yield* createAgent(Actor.agent(worker), create({ name: "Y" })).pipe(Effect.flip)
      assert.strictEqual(notLead.detail, "Only board leads can create agents")
    }).pipe(Effect.provide(testLayer())))

  it.effect("on the agent API's lead route: leads only, always on the lead's own board", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world({ board: { maxAgents: 5 } })
      const gateway = yield* MemoryGateway
      const { lead, main, worker } = yield* leadWorkerAndMain(world)
      // As the reference's route does, the body's board_id is replaced by the lead's board, not refused.
      const created = yield* createAgentAsLead(lead, create({ name: "Helper", board_id: world.other.board.id }))
      assert.strictEqual(created.boardId, world.board.id)
      assert.isFalse(created.isBoardLead)
      gateway.clearCalls()
      for (const caller of [worker, main]) {
        const refused = yield* createAgentAsLead(caller, create({ name: "Nope" })).pipe(Effect.flip)
        assert.deepStrictEqual([refused._tag, refused.detail], [
          "Forbidden",
          "Only board leads can perform this action"
        ])
      }
      assert.strictEqual(gateway.calls().length, 0)
    }).pipe(Effect.provide(testLayer())))
})

describe("updateAgent", () => {
  it.effect("refuses status, does nothing for an empty body, re-provisions with force", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const { id } = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Ann" }))
      const status = yield* updateAgent(world.owner, id, patch({ status: "online" }), { force: false }).pipe(
        Effect.flip
      )
      assert.deepStrictEqual([status._tag, status.detail], ["Forbidden", "status is controlled by agent heartbeat"])
      const before = yield* Fixtures.reload(id)
      gateway.clearCalls()
      yield* updateAgent(world.owner, id, patch({}), { force: false })
      assert.strictEqual(gateway.calls().length, 0)
      assert.strictEqual((yield* Fixtures.reload(id)).agentTokenDigest, before.agentTokenDigest)

      gateway.removeFile(world.gateway.id, `mc-${id}`, "BOOTSTRAP.md")
      gateway.putFile(world.gateway.id, `mc-${id}`, "MEMORY.md", "my own notes")
      const forced = yield* updateAgent(world.owner, id, patch({}), { force: true })
      assert.strictEqual(yield* shownStatus(forced), "provisioning")
      const after = yield* Fixtures.reload(id)
      assert.notStrictEqual(after.agentTokenDigest, before.agentTokenDigest)
      assert.strictEqual(after.status, "online")
      assert.isDefined(gateway.file(world.gateway.id, `mc-${id}`, "BOOTSTRAP.md"))
      assert.strictEqual(gateway.file(world.gateway.id, `mc-${id}`, "MEMORY.md"), "my own notes")
      assert.isTrue(gateway.chats(world.gateway.id).at(-1)!.message.includes("has been updated"))
      const activity = yield* Effect.flatMap(ActivityRepository, (repo) => repo.listByAgent(id))
      assert.include(activity.map((event) => event.message), "Updated directly for Ann.")
    }).pipe(Effect.provide(testLayer())))

  it.effect("renames and moves between boards, checking access on the target board", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { id } = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Mover" }))
      const second = yield* Fixtures.board(world.organization.id, world.gateway.id, { name: "Second" })
      const moved = yield* updateAgent(world.owner, id, patch({ board_id: second.id, name: "Moved" }), { force: false })
      assert.strictEqual(moved.boardId, second.id)
      assert.strictEqual(moved.name, "Moved")
      const missingBoard = yield* updateAgent(world.owner, id, patch({ board_id: crypto.randomUUID() }), {
        force: false
      }).pipe(Effect.flip)
      assert.strictEqual(missingBoard.detail, "Board not found")
      const foreign = yield* updateAgent(world.owner, id, patch({ board_id: world.other.board.id }), {
        force: false
      }).pipe(Effect.flip)
      assert.deepStrictEqual([foreign._tag, foreign.detail], ["NotFound", "Not Found"])
      const nullBoard = yield* updateAgent(world.owner, id, patch({ board_id: null }), { force: false })
        .pipe(Effect.flip)
      assert.strictEqual(nullBoard.detail, "board_id is required")
      const admin = yield* updateAgent(world.admin, id, patch({ board_id: second.id }), { force: false })
        .pipe(Effect.flip)
      assert.strictEqual(admin._tag, "Forbidden")
    }).pipe(Effect.provide(testLayer())))

  it.effect("converts a board agent into the gateway agent and back", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const { id } = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Main" }))
      const main = yield* updateAgent(world.owner, id, patch({ is_gateway_main: true }), { force: false })
      assert.isNull(main.boardId)
      assert.strictEqual(main.openclawSessionId, `agent:mc-gateway-${world.gateway.id}:main`)
      assert.isDefined(gateway.file(world.gateway.id, `mc-gateway-${world.gateway.id}`, "AGENTS.md"))
      const stays = yield* updateAgent(world.owner, id, patch({ board_id: world.board.id }), { force: false })
      assert.isNull(stays.boardId)
      const noBoard = yield* updateAgent(world.owner, id, patch({ is_gateway_main: false }), { force: false }).pipe(
        Effect.flip
      )
      assert.strictEqual(noBoard.detail, "board_id is required when converting a gateway-main agent to board scope")
      const back = yield* updateAgent(world.owner, id, patch({ is_gateway_main: false, board_id: world.board.id }), {
        force: false
      })
      assert.strictEqual(back.boardId, world.board.id)
      assert.strictEqual(back.openclawSessionId, workerSessionKey(id))
    }).pipe(Effect.provide(testLayer())))

  it.effect("restores the status after a failed update, so the agent is never stuck in updating", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: "Steady" })
      gateway.fail({ method: "agents.create", reason: "Rejected", message: "disk full", times: 1 })
      const error = yield* updateAgent(world.owner, agent.id, patch({ name: "Steadier" }), { force: false }).pipe(
        Effect.flip
      )
      assert.strictEqual(error.detail, "Gateway update failed: disk full")
      const stored = yield* Fixtures.reload(agent.id)
      assert.strictEqual(stored.status, "online")
      assert.strictEqual(stored.lastProvisionError, "disk full")
      const activity = yield* Effect.flatMap(ActivityRepository, (repo) => repo.listByAgent(agent.id))
      assert.deepStrictEqual(activity.map((event) => event.message), ["Update message failed: disk full"])
    }).pipe(Effect.provide(testLayer())))
})

describe("heartbeats", () => {
  it.effect("turn provisioning into online and go offline after one and a half heartbeat intervals silent", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { agent } = yield* Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: world.board.id,
        status: "provisioning",
        lastSeenAt: null
      })
      const first = yield* heartbeatAgent(Actor.agent(agent), agent.id, null)
      assert.strictEqual(first.status, "online")
      assert.strictEqual(yield* shownStatus(first), "online")
      const busy = yield* heartbeatAgent(Actor.agent(agent), agent.id, "busy")
      assert.strictEqual(yield* shownStatus(busy), "busy")
      // The default heartbeat comes every ten minutes: fifteen silent minutes are still within one and a half.
      yield* TestClock.adjust(Duration.minutes(15))
      assert.strictEqual(yield* shownStatus(yield* getAgent(world.owner, agent.id)), "busy")
      yield* TestClock.adjust(Duration.seconds(1))
      const read = yield* getAgent(world.owner, agent.id)
      assert.strictEqual(yield* shownStatus(read), "offline")
      const activity = yield* Effect.flatMap(ActivityRepository, (repo) => repo.listByAgent(agent.id))
      assert.deepStrictEqual(activity.map((event) => event.message), [
        `Heartbeat received from ${agent.name}.`,
        `Heartbeat received from ${agent.name}.`
      ])
    }).pipe(Effect.provide(testLayer())))

  it.effect("are refused for another agent", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      const { agent: other } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      const error = yield* heartbeatAgent(Actor.agent(other), agent.id, null).pipe(Effect.flip)
      assert.strictEqual(error._tag, "Forbidden")
      const missing = yield* heartbeatAgent(Actor.agent(other), crypto.randomUUID() as AgentId, null).pipe(Effect.flip)
      assert.strictEqual(missing._tag, "NotFound")
    }).pipe(Effect.provide(testLayer())))

  it.effect("by name create and provision a missing agent, and provision one without a token", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const created = yield* heartbeatOrCreateAgent(Actor.user(world.owner), {
        name: "Fresh",
        boardId: world.board.id,
        status: null
      })
      assert.strictEqual(yield* shownStatus(created), "online")
      assert.isDefined(gateway.file(world.gateway.id, `mc-${created.id}`, "TOOLS.md"))
      const { agent: tokenless } = yield* Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: world.board.id,
        name: "Tokenless",
        agentTokenDigest: null,
        openclawSessionId: "agent:stale:main"
      })
      const repaired = yield* heartbeatOrCreateAgent(Actor.user(world.writer), {
        name: "Tokenless",
        boardId: null,
        status: "ready"
      })
      assert.strictEqual(yield* shownStatus(repaired), "ready")
      assert.strictEqual(repaired.openclawSessionId, workerSessionKey(tokenless.id))
      assert.isNotNull((yield* Fixtures.reload(tokenless.id)).agentTokenDigest)
      const byAgent = yield* heartbeatOrCreateAgent(Actor.agent(tokenless), {
        name: "ignored",
        boardId: null,
        status: null
      })
      assert.strictEqual(byAgent.id, tokenless.id)
      const reader = yield* heartbeatOrCreateAgent(Actor.user(world.reader), {
        name: "Tokenless",
        boardId: null,
        status: null
      })
        .pipe(Effect.flip)
      assert.strictEqual(reader._tag, "Forbidden")
    }).pipe(Effect.provide(testLayer())))
})

describe("deleteAgent", () => {
  it.effect("cleans up the gateway, releases tasks and detaches activity in one go", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const { id } = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Gone" }))
      const started = yield* DateTime.now
      const inProgress = yield* Fixtures.task({ assignedAgentId: id, status: "in_progress", inProgressAt: started })
      const review = yield* Fixtures.task({ assignedAgentId: id, status: "review" })
      assert.isUndefined(yield* deleteAgent(world.owner, id))
      assert.isTrue(Option.isNone(yield* Effect.flatMap(AgentRepository, (repo) => repo.findById(id))))
      assert.isFalse(gateway.agents(world.gateway.id).has(`mc-${id}`))
      const tasks = yield* TaskRepository
      const released = Option.getOrThrow(yield* tasks.findById(inProgress.id))
      assert.deepStrictEqual([released.status, released.assignedAgentId, released.inProgressAt], ["inbox", null, null])
      const other = Option.getOrThrow(yield* tasks.findById(review.id))
      assert.deepStrictEqual([other.status, other.assignedAgentId], ["review", null])
      assert.strictEqual((yield* Effect.flatMap(ActivityRepository, (repo) => repo.listByAgent(id))).length, 0)
      const recent = yield* Effect.flatMap(ActivityRepository, (repo) => repo.listRecent(10))
      assert.include(recent.map((event) => event.message), "Deleted agent Gone.")
      const cleanup = gateway.chats(world.gateway.id).at(-1)!
      assert.isFalse(cleanup.deliver)
      assert.strictEqual(cleanup.sessionKey, `agent:mc-gateway-${world.gateway.id}:main`)
      assert.include(cleanup.message, `Workspace path: ~/.openclaw/workspace-mc-${id}\n`)
      assert.isUndefined(yield* deleteAgent(world.owner, id)) // already deleted
    }).pipe(Effect.provide(testLayer())))

  it.effect("keeps the agent and answers 502 when the gateway clean-up fails", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      gateway.fail({ method: "agents.delete", reason: "Rejected", message: "locked", times: 1 })
      const error = yield* deleteAgent(world.owner, agent.id).pipe(Effect.flip)
      assert.deepStrictEqual([error._tag, error.detail], ["GatewayFailure", "Gateway cleanup failed: locked"])
      yield* Fixtures.reload(agent.id)
      const activity = yield* Effect.flatMap(ActivityRepository, (repo) => repo.listByAgent(agent.id))
      assert.deepStrictEqual(activity.map((event) => event.message), ["Delete message failed: locked"])
    }).pipe(Effect.provide(testLayer())))

  // The store's own fault injection; the Postgres adapter has its own atomicity tests.
  it.effect.skipIf(!onMemory)("rolls back every database write when one of them fails", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const memory = yield* MemoryStore
      const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      const task = yield* Fixtures.task({ assignedAgentId: agent.id, status: "in_progress" })
      yield* memory.injectFault("activity.detachAgent")
      const failure = yield* deleteAgent(world.owner, agent.id).pipe(Effect.flip)
      assert.strictEqual(failure._tag, "DatabaseUnavailable") // typed and retryable, not a defect
      yield* Fixtures.reload(agent.id)
      const unchanged = Option.getOrThrow(yield* Effect.flatMap(TaskRepository, (repo) => repo.findById(task.id)))
      assert.deepStrictEqual([unchanged.status, unchanged.assignedAgentId], ["in_progress", agent.id])
      assert.isUndefined(yield* deleteAgent(world.owner, agent.id))
      assert.isTrue(Option.isNone(yield* Effect.flatMap(AgentRepository, (repo) => repo.findById(agent.id))))
    }).pipe(Effect.provide(TestKit.layer())))

  it.effect("deletes a gateway-main agent without a board", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const { agent } = yield* Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: null,
        openclawSessionId: "agent:gateway-x:main"
      })
      gateway.clearCalls()
      yield* deleteAgent(world.owner, agent.id)
      assert.isTrue(Option.isNone(yield* Effect.flatMap(AgentRepository, (repo) => repo.findById(agent.id))))
      assert.deepStrictEqual(methods(gateway.calls()), ["agents.delete", "sessions.delete"])
      assert.deepStrictEqual(gateway.calls()[0]!.params, {
        agentId: `mc-gateway-${world.gateway.id}`,
        deleteFiles: true
      })
    }).pipe(Effect.provide(testLayer())))

  it.effect("tolerates a gateway that already forgot the agent or keeps its main session", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      yield* deleteAgent(world.owner, agent.id)
      assert.isTrue(Option.isNone(yield* Effect.flatMap(AgentRepository, (repo) => repo.findById(agent.id))))
    }).pipe(Effect.provide(testLayer({ refuseMainSessionDelete: true }))))

  it.effect("as a lead: workers of its own board only", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { lead, main, worker } = yield* leadWorkerAndMain(world)
      const { agent: otherLead } = yield* Fixtures.agent({
        gatewayId: world.other.gateway.id,
        boardId: world.other.board.id,
        isBoardLead: true
      })
      const mainError = yield* deleteAgentAsLead(lead, world.board.id, main.id).pipe(Effect.flip)
      assert.strictEqual(mainError.detail, "Board leads cannot delete gateway main agents")
      const leadError = yield* deleteAgentAsLead(lead, world.board.id, lead.id).pipe(Effect.flip)
      assert.strictEqual(leadError.detail, "Board leads cannot delete lead agents")
      const foreign = yield* deleteAgentAsLead(lead, world.board.id, otherLead.id).pipe(Effect.flip)
      assert.strictEqual(foreign._tag, "NotFound")
      const wrongBoard = yield* deleteAgentAsLead(lead, world.other.board.id, worker.id).pipe(Effect.flip)
      assert.strictEqual(wrongBoard._tag, "Forbidden")
      const missingBoard = yield* deleteAgentAsLead(lead, crypto.randomUUID() as BoardId, worker.id).pipe(Effect.flip)
      assert.strictEqual(missingBoard._tag, "NotFound")
      const notLead = yield* deleteAgentAsLead(worker, world.board.id, lead.id).pipe(Effect.flip)
      assert.deepStrictEqual([notLead._tag, notLead.detail], ["Forbidden", "Only board leads can perform this action"])
      const byMain = yield* deleteAgentAsLead(main, world.board.id, worker.id).pipe(Effect.flip)
      assert.deepStrictEqual([byMain._tag, byMain.detail], ["Forbidden", "Only board leads can perform this action"])
      yield* deleteAgentAsLead(lead, world.board.id, worker.id)
      assert.isTrue(Option.isNone(yield* Effect.flatMap(AgentRepository, (repo) => repo.findById(worker.id))))
      assert.isUndefined(yield* deleteAgentAsLead(lead, world.board.id, worker.id)) // already deleted
    }).pipe(Effect.provide(testLayer())))
})

describe("listAgents", () => {
  it.effect("pages newest first and shows the admin the gateway agents too", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const ids: Array<string> = []
      for (let index = 0; index < 3; index++) {
        const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
        ids.push(agent.id)
        yield* TestClock.adjust(Duration.seconds(1))
      }
      const { agent: main } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: null })
      yield* Fixtures.agent({ gatewayId: world.other.gateway.id, boardId: world.other.board.id })
      const page = yield* listAgents(world.owner, { limit: 2, offset: 0 })
      assert.strictEqual(page.total, 4)
      assert.deepStrictEqual(page.items.map((item) => item.id), [main.id, ids[2]])
      const byBoard = yield* listAgents(world.owner, { boardId: world.board.id, limit: 200, offset: 0 })
      assert.strictEqual(byBoard.total, 3)
      const byGateway = yield* listAgents(world.owner, { gatewayId: world.gateway.id, limit: 200, offset: 0 })
      assert.strictEqual(byGateway.total, 4)
      const foreignGateway = yield* listAgents(world.owner, {
        gatewayId: world.other.gateway.id,
        limit: 200,
        offset: 0
      })
        .pipe(Effect.flip)
      assert.strictEqual(foreignGateway._tag, "NotFound")
      const foreignBoard = yield* listAgents(world.owner, { boardId: world.other.board.id, limit: 200, offset: 0 })
        .pipe(Effect.flip)
      assert.strictEqual(foreignBoard._tag, "Forbidden")
    }).pipe(Effect.provide(testLayer())))

  it.effect("for one board: only with a grant on it; a refused board is refused before a foreign gateway", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const ungranted = yield* Fixtures.board(world.organization.id, world.gateway.id, {
        name: "Ungranted",
        slug: "ungranted"
      })
      yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: ungranted.id })
      // The admin holds a grant on the first board only.
      const granted = yield* listAgents(world.admin, { boardId: world.board.id, limit: 200, offset: 0 })
      assert.strictEqual(granted.total, 1)
      const refusals = yield* Effect.all([
        listAgents(world.admin, { boardId: ungranted.id, limit: 200, offset: 0 }),
        listAgents(world.admin, { boardId: crypto.randomUUID() as BoardId, limit: 200, offset: 0 }),
        listAgents(world.admin, { boardId: ungranted.id, gatewayId: world.other.gateway.id, limit: 200, offset: 0 }),
        listAgents(world.reader, { boardId: world.board.id, limit: 200, offset: 0 })
      ].map(Effect.flip))
      assert.deepStrictEqual(refusals.map((error) => error._tag), ["Forbidden", "Forbidden", "Forbidden", "Forbidden"])
      const foreignGateway = yield* listAgents(world.admin, {
        boardId: world.board.id,
        gatewayId: world.other.gateway.id,
        limit: 200,
        offset: 0
      })
        .pipe(Effect.flip)
      assert.strictEqual(foreignGateway._tag, "NotFound")
    }).pipe(Effect.provide(testLayer())))
})
