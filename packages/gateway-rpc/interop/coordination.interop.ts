// The agent coordination programs against a real OpenClaw gateway (run by `pnpm test:interop`, which starts one and
// sets these variables): nudges, SOUL write and read back, asking the user through the gateway agent, a lead
// message and a broadcast that creates no lead.
import { assert, describe, it } from "@effect/vitest"
import {
  Actor,
  AgentCreate,
  AgentRepository,
  askUserViaGatewayMain,
  broadcastToLeads,
  createAgent,
  deleteAgent,
  ensureBoardLeadAgent,
  ensureGatewayMainAgent,
  messageBoardLead,
  nudgeBoardAgent,
  readAgentSoul,
  toLeadBroadcastResponse,
  updateAgentSoul
} from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import { Effect, Layer, Redacted, Schema } from "effect"

const url = process.env["OPENCLAW_GATEWAY_URL"]
const token = process.env["OPENCLAW_GATEWAY_TOKEN"]
const version = process.env["OPENCLAW_GATEWAY_VERSION"] ?? "unknown"

const message = { kind: "question", correlationId: "interop-1", replyTags: [], replySource: null } as const

describe.skipIf(url === undefined)(`agent coordination on a real OpenClaw gateway ${version}`, () => {
  it.live(
    "nudge, SOUL write and read, ask the user, message a lead, broadcast without creating leads",
    () =>
      Effect.gen(function*() {
        const world = yield* Fixtures.world({
          gateway: {
            url: url!,
            token: token === undefined ? null : Redacted.make(token),
            workspaceRoot: process.env["OPENCLAW_STATE_DIR"] ?? "/tmp/openclaw"
          }
        })
        const main = yield* ensureGatewayMainAgent(world.gateway, world.owner, { action: "provision", wake: false })
        const lead = (yield* ensureBoardLeadAgent(world.board, world.owner)).agent
        const worker = yield* createAgent(
          Actor.user(world.owner),
          Schema.decodeUnknownSync(AgentCreate)({ board_id: world.board.id, name: "Coordination Worker" })
        )

        yield* nudgeBoardAgent(lead, world.board.id, worker.id, { message: "Interop nudge: reply NO_REPLY." })

        const soul = `# SOUL\nInterop soul ${Date.now()}.`
        yield* updateAgentSoul(lead, world.board.id, worker.id, { content: soul, sourceUrl: null, reason: "interop" })
        assert.strictEqual(yield* readAgentSoul(worker, world.board.id, worker.id), soul)
        assert.strictEqual(yield* readAgentSoul(lead, world.board.id, worker.id), soul)

        const asked = yield* askUserViaGatewayMain(lead, world.board.id, {
          content: "Interop question: reply NO_REPLY.",
          correlationId: null,
          preferredChannel: null,
          replyTags: [],
          replySource: null
        })
        assert.strictEqual(asked.mainAgent?.id, main.id)

        const messaged = yield* messageBoardLead(main, world.board.id, { ...message, content: "Interop: NO_REPLY." })
        assert.deepStrictEqual([messaged.lead.id, messaged.leadCreated], [lead.id, false])

        const leaderless = yield* Fixtures.board(world.organization.id, world.gateway.id, { name: "Leaderless" })
        const agents = yield* AgentRepository
        const before = (yield* agents.listByGateway(world.gateway.id)).length
        const answer = toLeadBroadcastResponse(
          yield* broadcastToLeads(main, { ...message, content: "Interop broadcast: NO_REPLY.", boardIds: null })
        )
        assert.deepStrictEqual([answer.sent, answer.failed], [1, 1])
        assert.deepInclude(answer.results, {
          board_id: leaderless.id,
          lead_agent_id: null,
          lead_agent_name: null,
          ok: false,
          error: "Board has no lead agent"
        })
        assert.strictEqual((yield* agents.listByGateway(world.gateway.id)).length, before)

        yield* deleteAgent(world.owner, worker.id)
        yield* deleteAgent(world.owner, lead.id)
      }).pipe(
        Effect.provide(
          Layer.merge(TestKit.layerWithoutGateway, GatewayRpc.layer({ device: GatewayRpc.generateDeviceIdentity() }))
        )
      ),
    { timeout: 180_000 }
  )
})
