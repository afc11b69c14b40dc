import { assert, describe, it } from "@effect/vitest"
import {
  ActivityRepository,
  Actor,
  AgentRepository,
  BoardMemoryRepository,
  BoardRepository,
  createBoard,
  createBoardMemory,
  deleteBoard,
  ensureBoardLeadAgent,
  getAgentBoard,
  getBoard,
  listAgentBoards,
  listBoardMemory,
  listBoards,
  pauseBoard,
  resumeBoard,
  syncGatewayTemplates,
  TaskRepository,
  updateBoard
} from "@mission-control/core"
import type { BoardInput, GatewayId } from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { Duration, Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import { testLayer } from "./support/layer.js"

const page = { limit: 50, offset: 0 }

const input = (gatewayId: GatewayId, fields: Partial<BoardInput> = {}): BoardInput => ({
  name: "Roadmap",
  slug: "roadmap",
  description: "  Plans  ",
  gatewayId,
  ...fields
})

/** The world, with a gateway-main agent on each gateway (boards need one). */
const worldWithMains = Effect.gen(function*() {
  const world = yield* Fixtures.world()
  const { agent: main } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: null, name: "Main" })
  const { agent: otherMain } = yield* Fixtures.agent({ gatewayId: world.other.gateway.id, boardId: null })
  return { ...world, main, otherMain }
})

const failureOf = <A, E extends { readonly _tag: string; readonly detail: string }, R>(
  effect: Effect.Effect<A, E, R>
) => Effect.map(Effect.flip(effect), (error) => [error._tag, error.detail] as const)

describe("boards", () => {
  it.effect("an org admin creates a board on a gateway of the organization that has its gateway agent", () =>
    Effect.gen(function*() {
      const world = yield* worldWithMains
      const board = yield* createBoard(world.owner, input(world.gateway.id, { maxAgents: 3 }))
      assert.strictEqual(board.organizationId, world.organization.id)
      assert.strictEqual(board.description, "Plans")
      assert.deepStrictEqual(
        [board.boardType, board.requireApprovalForDone, board.maxAgents, board.boardGroupId],
        ["goal", true, 3, null]
      )
      assert.deepStrictEqual(
        Option.getOrThrow(yield* Effect.flatMap(BoardRepository, (r) => r.findById(board.id))),
        board
      )

      assert.deepStrictEqual(yield* failureOf(createBoard(world.writer, input(world.gateway.id))), [
        "Forbidden",
        "Forbidden"
      ])
      assert.deepStrictEqual(yield* failureOf(createBoard(world.owner, input(world.other.gateway.id))), [
        "Unprocessable",
        "gateway_id is invalid"
      ])
      const bare = yield* Fixtures.gateway(world.organization.id)
      assert.deepStrictEqual(yield* failureOf(createBoard(world.owner, input(bare.id))), [
        "Unprocessable",
        "gateway must have a gateway main agent before boards can be created or updated"
      ])
      const group = "00000000-0000-4000-8000-000000000001"
      assert.deepStrictEqual(
        yield* failureOf(createBoard(world.owner, input(world.gateway.id, { boardGroupId: group }))),
        [
          "Unprocessable",
          "board_group_id is invalid"
        ]
      )
      assert.deepStrictEqual(
        yield* failureOf(createBoard(world.owner, input(world.gateway.id, { goalConfirmed: true }))),
        ["Unprocessable", "Confirmed goal boards require objective and success_metrics"]
      )
    }).pipe(Effect.provide(testLayer())))

  it.effect("lists the boards a member may read, by name then newest; gateway and board group filters", () =>
    Effect.gen(function*() {
      const world = yield* worldWithMains
      yield* TestClock.adjust(Duration.seconds(1))
      const alpha = yield* createBoard(world.owner, input(world.gateway.id, { name: "alpha" }))
      const second = yield* Fixtures.gateway(world.organization.id)
      yield* Fixtures.agent({ gatewayId: second.id, boardId: null })
      const zulu = yield* createBoard(world.owner, input(second.id, { name: "Zulu" }))
      const names = (result: { readonly items: ReadonlyArray<{ readonly name: string }> }) =>
        result.items.map((board) => board.name)
      const all = yield* listBoards(world.owner, {}, page)
      assert.deepStrictEqual([names(all), all.total], [["alpha", "Launch", "Zulu"], 3])
      assert.deepStrictEqual(names(yield* listBoards(world.reader, {}, page)), ["Launch"])
      assert.deepStrictEqual(names(yield* listBoards(world.outsider, {}, page)), [])
      assert.deepStrictEqual(names(yield* listBoards(world.owner, { gatewayId: second.id }, page)), ["Zulu"])
      assert.deepStrictEqual(names(yield* listBoards(world.other.admin, {}, page)), ["Other"])
      const paged = yield* listBoards(world.owner, {}, { limit: 1, offset: 1 })
      assert.deepStrictEqual([names(paged), paged.total, paged.limit, paged.offset], [["Launch"], 3, 1, 1])
      const grouped = yield* listBoards(world.owner, { boardGroupId: "00000000-0000-4000-8000-000000000001" }, page)
      assert.deepStrictEqual([grouped.items.length, grouped.total], [0, 0])
      assert.strictEqual((yield* getBoard(world.reader, world.board.id)).id, world.board.id)
      assert.deepStrictEqual(yield* failureOf(getBoard(world.outsider, world.board.id)), [
        "Forbidden",
        "Board access denied"
      ])
      assert.deepStrictEqual(yield* failureOf(getBoard(world.other.admin, alpha.id)), ["Forbidden", "No org access"])
      // Another id: its last digit changed (to "1" when it is already "0", one id in sixteen).
      const missing = zulu.id.replace(/.$/, zulu.id.endsWith("0") ? "1" : "0")
      assert.deepStrictEqual(yield* failureOf(getBoard(world.owner, missing as never)), [
        "NotFound",
        "Not Found"
      ])
    }).pipe(Effect.provide(testLayer())))

  it.effect("an update with changes tells the lead what changed; moving the gateway moves no agent", () =>
    Effect.gen(function*() {
      const world = yield* worldWithMains
      const gateway = yield* MemoryGateway
      const lead = yield* ensureBoardLeadAgent(world.board, world.owner)
      gateway.clearCalls()
      const second = yield* Fixtures.gateway(world.organization.id, { url: world.gateway.url })
      yield* Fixtures.agent({ gatewayId: second.id, boardId: null })
      const updated = yield* updateBoard(world.writer, world.board.id, {
        name: "Launch",
        maxAgents: 2,
        successMetrics: { b: 1, a: "x" },
        gatewayId: second.id
      })
      assert.deepStrictEqual([updated.maxAgents, updated.gatewayId], [2, second.id])
      const chats = gateway.chats(second.id)
      assert.strictEqual(chats.length, 1)
      assert.strictEqual(
        chats[0]!.message,
        [
          "BOARD UPDATED",
          "Board: Launch",
          `Board ID: ${world.board.id}`,
          "",
          "Changed fields:",
          `- gateway_id: ${world.gateway.id} -> ${second.id}`,
          "- max_agents: 1 -> 2",
          "- success_metrics: null -> {\"a\": \"x\", \"b\": 1}",
          "",
          "Take action: review the board changes and adjust plan/assignments as needed."
        ].join("\n")
      )
      assert.deepStrictEqual([chats[0]!.sessionKey, chats[0]!.deliver], [lead.agent.openclawSessionId, false])
      const activity = yield* Effect.flatMap(ActivityRepository, (repo) => repo.listByAgent(lead.agent.id))
      assert.strictEqual(activity.at(-1)!.eventType, "board.lead_notified")
      assert.strictEqual((yield* Fixtures.reload(lead.agent.id)).gatewayId, world.gateway.id)

      gateway.clearCalls()
      yield* updateBoard(world.writer, world.board.id, { name: "Launch" })
      assert.strictEqual(gateway.chats(second.id).length, 1, "no change, no message")

      assert.deepStrictEqual(yield* failureOf(updateBoard(world.reader, world.board.id, {})), [
        "Forbidden",
        "Board access denied"
      ])
      assert.deepStrictEqual(yield* failureOf(updateBoard(world.other.admin, world.board.id, {})), [
        "Forbidden",
        "No org access"
      ])
      assert.deepStrictEqual(
        yield* failureOf(updateBoard(world.owner, world.board.id, { gatewayId: world.other.gateway.id })),
        ["Unprocessable", "gateway_id is invalid"]
      )
      assert.deepStrictEqual(
        yield* failureOf(updateBoard(world.owner, world.board.id, { boardType: "goal", successMetrics: null })),
        ["Unprocessable", "Goal boards require objective and success_metrics"]
      )
    }).pipe(Effect.provide(testLayer())))

  it.effect("deleting a board removes its agents from the gateway, then its agents, tasks and memory", () =>
    Effect.gen(function*() {
      const world = yield* worldWithMains
      const gateway = yield* MemoryGateway
      const lead = yield* ensureBoardLeadAgent(world.board, world.owner)
      const task = yield* Fixtures.task({ boardId: world.board.id, assignedAgentId: lead.agent.id })
      yield* Fixtures.chatCommand(world.board.id, "hello")
      assert.isTrue(gateway.agents(world.gateway.id).has(`lead-${world.board.id}`))

      gateway.fail({ method: "agents.delete", reason: "Rejected", message: "disk busy", times: 1 })
      assert.deepStrictEqual(yield* failureOf(deleteBoard(world.owner, world.board.id)), [
        "GatewayFailure",
        "Gateway cleanup failed: disk busy"
      ])
      assert.isTrue(Option.isSome(yield* Effect.flatMap(BoardRepository, (r) => r.findById(world.board.id))))

      assert.deepStrictEqual(yield* failureOf(deleteBoard(world.reader, world.board.id)), [
        "Forbidden",
        "Board access denied"
      ])
      yield* deleteBoard(world.writer, world.board.id)
      assert.isFalse(gateway.agents(world.gateway.id).has(`lead-${world.board.id}`))
      assert.isTrue(Option.isNone(yield* Effect.flatMap(BoardRepository, (r) => r.findById(world.board.id))))
      assert.isTrue(Option.isNone(yield* Effect.flatMap(AgentRepository, (r) => r.findById(lead.agent.id))))
      assert.isTrue(Option.isNone(yield* Effect.flatMap(TaskRepository, (r) => r.findById(task.id))))
      assert.isTrue(Option.isSome(yield* Effect.flatMap(AgentRepository, (r) => r.findById(world.main.id))))
      const memory = yield* Effect.flatMap(BoardMemoryRepository, (r) => r.list(world.board.id, {}, page))
      assert.strictEqual(memory.total, 0)
      assert.deepStrictEqual(yield* failureOf(getBoard(world.owner, world.board.id)), ["NotFound", "Not Found"])
    }).pipe(Effect.provide(testLayer())))

  it.effect("a board without a gateway is deleted without a gateway call", () =>
    Effect.gen(function*() {
      const world = yield* worldWithMains
      const gateway = yield* MemoryGateway
      const loose = yield* Fixtures.board(world.organization.id, null, { name: "Loose" })
      yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: loose.id })
      gateway.clearCalls()
      yield* deleteBoard(world.owner, loose.id)
      assert.strictEqual(gateway.calls().length, 0)
      assert.isTrue(Option.isNone(yield* Effect.flatMap(BoardRepository, (r) => r.findById(loose.id))))
    }).pipe(Effect.provide(testLayer())))

  it.effect("agents read their own board; a gateway agent the boards of its organization only", () =>
    Effect.gen(function*() {
      const world = yield* worldWithMains
      const { agent: worker } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      yield* TestClock.adjust(Duration.seconds(1))
      const extra = yield* createBoard(world.owner, input(world.gateway.id, { name: "Extra" }))
      assert.deepStrictEqual((yield* listAgentBoards(worker, page)).items.map((board) => board.id), [world.board.id])
      const mainView = yield* listAgentBoards(world.main, page)
      assert.deepStrictEqual([mainView.items.map((board) => board.id), mainView.total], [[extra.id, world.board.id], 2])
      assert.strictEqual((yield* getAgentBoard(world.main, extra.id)).id, extra.id)
      assert.deepStrictEqual(yield* failureOf(getAgentBoard(worker, extra.id)), ["Forbidden", "Forbidden"])
      assert.deepStrictEqual(yield* failureOf(getAgentBoard(world.main, world.other.board.id)), [
        "Forbidden",
        "Forbidden"
      ])
      assert.deepStrictEqual(yield* failureOf(getAgentBoard(world.otherMain, world.board.id)), [
        "Forbidden",
        "Forbidden"
      ])
    }).pipe(Effect.provide(testLayer())))
})

describe("board memory and chat", () => {
  it.effect("a gateway that does not answer holds a chat command no longer than the delivery timeout", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      for (let index = 0; index < 6; index++) {
        yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: `Sleeper ${index}` })
      }
      const pausing = yield* Effect.forkChild(pauseBoard(Actor.user(world.owner), world.board.id))
      // Six agents, four at a time, each send given up after ten seconds: two rounds, about twenty seconds. The clock
      // moves a second at a time, with real time in between for the database's own I/O.
      let waited = 0
      while (Option.isNone(yield* Fiber.await(pausing).pipe(Effect.timeoutOption("0 millis"))) && waited < 60) {
        yield* TestClock.adjust(Duration.seconds(1))
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
        waited++
      }
      const paused = yield* Fiber.join(pausing)
      assert.strictEqual(paused.content, "/pause")
      assert.isAtMost(waited, 30)
    }).pipe(Effect.provide(testLayer({ latency: "1 hour" }))))

  it.effect("/pause and /resume go to every agent of the board but the author; template sync honours them", () =>
    Effect.gen(function*() {
      const world = yield* worldWithMains
      const gateway = yield* MemoryGateway
      const lead = yield* ensureBoardLeadAgent(world.board, world.owner)
      const { agent: worker } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      gateway.clearCalls()

      const paused = yield* pauseBoard(Actor.agent(worker), world.board.id)
      assert.deepStrictEqual([paused.content, paused.isChat, paused.source], ["/pause", true, worker.name])
      assert.deepStrictEqual(
        gateway.chats(world.gateway.id).filter((chat) => chat.message === "/pause").map((chat) => [
          chat.sessionKey,
          chat.message,
          chat.deliver
        ]),
        [[lead.agent.openclawSessionId, "/pause", true]]
      )
      const skipped = yield* syncGatewayTemplates(world.gateway, { includeMain: false })
      assert.deepStrictEqual([skipped.agentsUpdated, skipped.agentsSkipped, skipped.errors.length], [0, 2, 0])

      yield* TestClock.adjust(Duration.seconds(1))
      gateway.clearCalls()
      const resumed = yield* resumeBoard(Actor.user(world.writer), world.board.id)
      assert.strictEqual(resumed.source, "Walt Writer")
      assert.sameMembers(
        gateway.chats(world.gateway.id).filter((chat) => chat.message === "/resume").map((chat) => chat.sessionKey),
        [lead.agent.openclawSessionId!, worker.openclawSessionId!]
      )
      // Resumed: the lead is synced again (the fixture worker has no workspace on the gateway to sync).
      const synced = yield* syncGatewayTemplates(world.gateway, { includeMain: false })
      assert.strictEqual(synced.agentsUpdated, 1)
    }).pipe(Effect.provide(testLayer())))

  it.effect("chat reaches the lead and mentioned agents; a gateway failure does not fail the write", () =>
    Effect.gen(function*() {
      const world = yield* worldWithMains
      const gateway = yield* MemoryGateway
      const lead = yield* ensureBoardLeadAgent(world.board, world.owner)
      const { agent: ada } = yield* Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: world.board.id,
        name: "Ada Lovelace"
      })
      yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: "Bob" })
      gateway.clearCalls()
      yield* createBoardMemory(Actor.user(world.owner), world.board.id, { content: "hi @ada", tags: ["chat"] })
      const chats = gateway.chats(world.gateway.id).filter((chat) => chat.message.startsWith("BOARD CHAT"))
      assert.deepStrictEqual(
        chats.map((chat) => chat.sessionKey).sort(),
        [
          lead.agent.openclawSessionId!,
          ada.openclawSessionId!
        ].sort()
      )
      const toAda = chats.find((chat) => chat.sessionKey === ada.openclawSessionId)!
      assert.isTrue(toAda.message.startsWith(`BOARD CHAT MENTION\nBoard: Launch\nFrom: Liv Owner\n\nhi @ada\n\n`))
      assert.isTrue(
        chats.find((chat) => chat.sessionKey === lead.agent.openclawSessionId)!.message.startsWith("BOARD CHAT\n")
      )

      gateway.fail({ method: "chat.send", reason: "Rejected", message: "nope", times: 10 })
      const note = yield* createBoardMemory(Actor.user(world.writer), world.board.id, {
        content: "/pause",
        tags: ["chat", "ops"],
        source: "ops-bot"
      })
      assert.strictEqual(note.source, "ops-bot")
      yield* createBoardMemory(Actor.user(world.writer), world.board.id, { content: "durable", tags: null })
      const all = yield* listBoardMemory(Actor.user(world.reader), world.board.id, {}, page)
      assert.deepStrictEqual(all.items.map((item) => item.content).sort(), ["/pause", "durable", "hi @ada"])
      const notes = yield* listBoardMemory(Actor.user(world.reader), world.board.id, { isChat: false }, page)
      assert.deepStrictEqual(notes.items.map((item) => [item.content, item.source, item.isChat]), [[
        "durable",
        null,
        false
      ]])

      assert.deepStrictEqual(
        yield* failureOf(createBoardMemory(Actor.user(world.reader), world.board.id, { content: "x" })),
        ["Forbidden", "Board access denied"]
      )
      assert.deepStrictEqual(
        yield* failureOf(listBoardMemory(Actor.user(world.other.admin), world.board.id, {}, page)),
        ["Forbidden", "No org access"]
      )
      assert.deepStrictEqual(
        yield* failureOf(listBoardMemory(Actor.agent(world.otherMain), world.board.id, {}, page)),
        ["Forbidden", "Forbidden"]
      )
    }).pipe(Effect.provide(testLayer())))
})
