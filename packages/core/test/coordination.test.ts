import { assert, describe, it } from "@effect/vitest"
import {
  ActivityRepository,
  AgentRepository,
  askUserViaGatewayMain,
  broadcastToLeads,
  GatewayControlPlane,
  gatewayMainSessionKey,
  leadSessionKey,
  messageBoardLead,
  nudgeBoardAgent,
  readAgentSoul,
  Settings,
  toLeadBroadcastResponse,
  updateAgentSoul
} from "@mission-control/core"
import type { BoardId, Gateway, GatewayId, GatewayTarget } from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { Duration, Effect } from "effect"
import { testLayer } from "./support/layer.js"

const leadMessage = { kind: "question", correlationId: null, replyTags: [], replySource: null } as const

// Transient gateway errors retried quickly, so live tests see the retry without waiting for the real backoff.
const quickRetry = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, Settings, {
    ...Settings.defaultValue(),
    baseUrl: "https://mc.example",
    operationRetry: {
      baseDelay: Duration.millis(5),
      maxDelay: Duration.millis(10),
      deadline: Duration.seconds(2),
      label: "gateway coordination"
    }
  })

const setup = Effect.gen(function*() {
  const world = yield* Fixtures.world()
  const lead = yield* Fixtures.agent({
    gatewayId: world.gateway.id,
    boardId: world.board.id,
    isBoardLead: true,
    name: "Lead"
  })
  const worker = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: "Worker" })
  const main = yield* Fixtures.agent({
    gatewayId: world.gateway.id,
    boardId: null,
    name: "Acme Gateway Agent",
    openclawSessionId: gatewayMainSessionKey(world.gateway.id)
  })
  return { world, lead: lead.agent, worker: worker.agent, main: main.agent }
})

const gatewayTargetOf = (gateway: Gateway): GatewayTarget => ({
  gatewayId: gateway.id,
  url: gateway.url,
  token: gateway.token,
  allowInsecureTls: false,
  disableDevicePairing: false
})

const leadOn = (gatewayId: GatewayId, boardId: BoardId, name: string) =>
  Effect.map(Fixtures.agent({ gatewayId, boardId, isBoardLead: true, name }), ({ agent }) => agent)

describe("coordination on the in-memory kit", () => {
  it.live("a retried nudge keeps its idempotency key, so the gateway delivers it once", () =>
    Effect.gen(function*() {
      const { world, lead, worker } = yield* setup
      const gateway = yield* MemoryGateway
      gateway.fail({ method: "chat.send", reason: "Transport", message: "socket closed", times: 2 })
      yield* nudgeBoardAgent(lead, world.board.id, worker.id, { message: "Move on." })
      const sends = gateway.calls(world.gateway.id).filter((call) => call.method === "chat.send")
      assert.strictEqual(sends.length, 3)
      assert.strictEqual(new Set(sends.map((call) => call.params["idempotencyKey"])).size, 1)
      assert.deepStrictEqual(
        gateway.chats(world.gateway.id).map((chat) => [chat.sessionKey, chat.message, chat.deliver]),
        [[worker.openclawSessionId, "Move on.", true]]
      )
      const events = yield* Effect.flatMap(ActivityRepository, (activity) => activity.listByAgent(lead.id))
      assert.deepStrictEqual(events.map((event) => event.eventType), ["agent.nudge.sent"])
    }).pipe(quickRetry, Effect.provide(testLayer())))

  it.live("a transient failure past the deadline is 502 with the deadline's text, not 504", () =>
    Effect.gen(function*() {
      const { world, lead, worker } = yield* setup
      const gateway = yield* MemoryGateway
      gateway.fail({ method: "chat.send", reason: "Transport", message: "connect ECONNREFUSED 10.0.0.7:2", times: 1e9 })
      const error = yield* nudgeBoardAgent(lead, world.board.id, worker.id, { message: "x" }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "GatewayFailure")
      assert.strictEqual(
        error.detail,
        "Gateway nudge failed: Gateway unreachable after 2 seconds (gateway coordination timeout). Last error: unreachable"
      )
      const events = yield* Effect.flatMap(ActivityRepository, (activity) => activity.listByAgent(lead.id))
      assert.deepStrictEqual(events.map((event) => event.eventType), ["agent.nudge.failed"])
      assert.notInclude(events[0]!.message!, "10.0.0.7")
    }).pipe(quickRetry, Effect.provide(testLayer())))

  it.effect("SOUL: the gateway main agent of the board's gateway is a target; another gateway's is not", () =>
    Effect.gen(function*() {
      const { world, lead, main } = yield* setup
      const gateway = yield* MemoryGateway
      const client = yield* Effect.flatMap(GatewayControlPlane, (plane) => plane.client(gatewayTargetOf(world.gateway)))
      yield* client.createAgent({ agentId: `mc-gateway-${world.gateway.id}`, workspace: "/srv/main" })
      yield* updateAgentSoul(lead, world.board.id, main.id, { content: " Calm. ", sourceUrl: null, reason: null })
      assert.strictEqual(gateway.file(world.gateway.id, `mc-gateway-${world.gateway.id}`, "SOUL.md"), "Calm.")
      assert.strictEqual(yield* readAgentSoul(main, world.board.id, main.id), "Calm.")
      const { agent: otherMain } = yield* Fixtures.agent({
        gatewayId: world.other.gateway.id,
        boardId: null,
        openclawSessionId: gatewayMainSessionKey(world.other.gateway.id)
      })
      const error = yield* updateAgentSoul(lead, world.board.id, otherMain.id, {
        content: "x",
        sourceUrl: null,
        reason: null
      }).pipe(Effect.flip)
      assert.deepStrictEqual([error._tag, error.detail], ["NotFound", "Not Found"])
      const unchanged = yield* Fixtures.reload(otherMain.id)
      assert.isNull(unchanged.soulTemplate)
    }).pipe(Effect.provide(testLayer())))

  it.effect("the board of a coordination route: 404 when missing, 403 for another board or organization", () =>
    Effect.gen(function*() {
      const { world, worker, main } = yield* setup
      const missing = yield* readAgentSoul(main, "00000000-0000-4000-8000-000000000000" as BoardId, main.id).pipe(
        Effect.flip
      )
      assert.deepStrictEqual([missing._tag, missing.detail], ["NotFound", "Not Found"])
      const otherBoard = yield* Fixtures.board(world.organization.id, world.gateway.id, { name: "Second" })
      const ownBoardOnly = yield* readAgentSoul(worker, otherBoard.id, worker.id).pipe(Effect.flip)
      assert.deepStrictEqual([ownBoardOnly._tag, ownBoardOnly.detail], ["Forbidden", "Forbidden"])
      // A gateway-main agent reaches the boards of its gateway's organization only, even one wired to its gateway.
      const foreign = yield* readAgentSoul(main, world.other.board.id, main.id).pipe(Effect.flip)
      assert.deepStrictEqual([foreign._tag, foreign.detail], ["Forbidden", "Forbidden"])
      const miswired = yield* Fixtures.board(world.other.organization.id, world.gateway.id, { name: "Miswired" })
      const crossed = yield* readAgentSoul(main, miswired.id, main.id).pipe(Effect.flip)
      assert.deepStrictEqual([crossed._tag, crossed.detail], ["Forbidden", "Forbidden"])
    }).pipe(Effect.provide(testLayer())))

  it.effect("SOUL: a board without a gateway is 422 after the template is saved, as the reference orders it", () =>
    Effect.gen(function*() {
      const { world } = yield* setup
      const board = yield* Fixtures.board(world.organization.id, null, { name: "Loose" })
      const lead = yield* leadOn(world.gateway.id, board.id, "Loose Lead")
      const error = yield* updateAgentSoul(lead, board.id, lead.id, { content: "Mine", sourceUrl: null, reason: null })
        .pipe(Effect.flip)
      assert.deepStrictEqual([error._tag, error.detail], ["Unprocessable", "Board gateway_id is required"])
      assert.strictEqual((yield* Fixtures.reload(lead.id)).soulTemplate, "Mine")
      const read = yield* readAgentSoul(lead, board.id, lead.id).pipe(Effect.flip)
      assert.strictEqual(read.detail, "Board gateway_id is required")
    }).pipe(Effect.provide(testLayer())))

  it.effect("ask-user: the message names the board, the lead and how to answer; no main agent record is null", () =>
    Effect.gen(function*() {
      const { world } = yield* setup
      const board = yield* Fixtures.board(world.other.organization.id, world.other.gateway.id, { name: "Solo" })
      const lead = yield* leadOn(world.other.gateway.id, board.id, "Solo Lead")
      const gateway = yield* MemoryGateway
      const outcome = yield* askUserViaGatewayMain(lead, board.id, {
        content: "Budget?",
        correlationId: "  ",
        preferredChannel: null,
        replyTags: [],
        replySource: null
      })
      assert.deepStrictEqual(outcome, { boardId: board.id, mainAgent: null })
      const [chat] = gateway.chats(world.other.gateway.id)
      assert.strictEqual(chat!.sessionKey, gatewayMainSessionKey(world.other.gateway.id))
      assert.notInclude(chat!.message, "Correlation ID")
      assert.include(chat!.message, `Board: Solo\nBoard ID: ${board.id}\nFrom lead: Solo Lead\n\nBudget?\n`)
      assert.include(chat!.message, `POST https://mc.example/api/v1/agent/boards/${board.id}/memory`)
      assert.include(chat!.message, `"tags":["gateway_main","user_reply"],"source":"user_via_gateway_main"`)
    }).pipe(quickRetry, Effect.provide(testLayer())))

  it.effect("broadcast: boards without a lead are reported, not given one; a lead's failure is its board's only", () =>
    Effect.gen(function*() {
      const { world, lead, main } = yield* setup
      const gateway = yield* MemoryGateway
      const empty = yield* Effect.forEach(
        Array.from({ length: 10 }, (_, index) => `Empty ${index}`),
        (name) => Fixtures.board(world.organization.id, world.gateway.id, { name })
      )
      const busyBoard = yield* Fixtures.board(world.organization.id, world.gateway.id, { name: "Busy" })
      yield* leadOn(world.gateway.id, busyBoard.id, "Busy Lead")
      gateway.fail({
        method: "chat.send",
        reason: "Rejected",
        message: "busy",
        times: 1,
        agentId: `lead-${busyBoard.id}`
      })
      const agents = yield* AgentRepository
      const before = (yield* agents.listByGateway(world.gateway.id)).length

      const deliveries = yield* broadcastToLeads(main, { ...leadMessage, content: "Freeze.", boardIds: null })
      const answer = toLeadBroadcastResponse(deliveries)
      assert.deepStrictEqual([answer.sent, answer.failed, answer.results.length], [1, 11, 12])
      for (const board of empty) {
        assert.deepInclude(answer.results, {
          board_id: board.id,
          lead_agent_id: null,
          lead_agent_name: null,
          ok: false,
          error: "Board has no lead agent"
        })
      }
      assert.deepInclude(answer.results, {
        board_id: busyBoard.id,
        lead_agent_id: deliveries.find((delivery) => delivery.boardId === busyBoard.id)!.lead!.id,
        lead_agent_name: "Busy Lead",
        ok: false,
        error: "Gateway lead broadcast dispatch failed: busy"
      })
      assert.deepInclude(answer.results, {
        board_id: world.board.id,
        lead_agent_id: lead.id,
        lead_agent_name: "Lead",
        ok: true,
        error: null
      })
      assert.strictEqual((yield* agents.listByGateway(world.gateway.id)).length, before)
      const methods = new Set(gateway.calls(world.gateway.id).map((call) => call.method))
      assert.deepStrictEqual([...methods].sort(), ["chat.send", "sessions.patch"])
      assert.deepStrictEqual(
        gateway.chats(world.gateway.id).map((chat) => chat.sessionKey),
        [leadSessionKey(world.board.id)]
      )
    }).pipe(quickRetry, Effect.provide(testLayer())))

  it.effect("lead message: an existing lead is messaged as it is: not renamed, not provisioned", () =>
    Effect.gen(function*() {
      const { world, lead, main } = yield* setup
      const gateway = yield* MemoryGateway
      const outcome = yield* messageBoardLead(main, world.board.id, { ...leadMessage, content: "Status?" })
      assert.deepStrictEqual(outcome, {
        boardId: world.board.id,
        lead: { id: lead.id, name: lead.name },
        leadCreated: false
      })
      assert.deepStrictEqual(gateway.calls(world.gateway.id).map((call) => call.method), [
        "sessions.patch",
        "chat.send"
      ])
      const [chat] = gateway.chats(world.gateway.id)
      assert.isTrue(chat!.message.startsWith("GATEWAY MAIN QUESTION\n"))
      assert.include(chat!.message, `"tags":["gateway_main","lead_reply"],"source":"lead_to_gateway_main"`)
      assert.isFalse(chat!.deliver)
    }).pipe(quickRetry, Effect.provide(testLayer())))
})
