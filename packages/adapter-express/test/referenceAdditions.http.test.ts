// What the reference's later versions added to the routes we already serve, over HTTP through the typed client on
// real Postgres: the board's worker limit, a lead chosen at creation, heartbeats without a body and the time of the
// last one, offline after one and a half heartbeat intervals, template sync's `lead_only` and `overwrite`, the
// agent-token rate limit, and the probes.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import type { AgentId } from "@mission-control/core"
import type { Board } from "@mission-control/core"
import { Observability } from "@mission-control/core"
import { ConflictResponse, TooManyRequestsResponse } from "@mission-control/core/http"
import { Fixtures } from "@mission-control/core/testing"
import { DateTime, Duration, Effect, Layer, Tracer } from "effect"
import express from "express"
import { failureOf, run, startApi, tokenOnGateway } from "./harness.js"

type Api = Awaited<ReturnType<typeof startApi>>
let api: Api
/** Every span the server made: what a trace backend would receive. */
const recorder = Observability.makeSpanRecorder()

beforeAll(async () => {
  api = await startApi(express as never, Layer.succeed(Tracer.Tracer, recorder.tracer), {
    agentRateLimit: { limit: 60, windowMillis: 60_000 }
  })
}, 120_000)
afterAll(async () => {
  await api.stop()
  await closeSharedTestDatabase()
})

const newBoard = (name: string, fields: Partial<Board> = {}) =>
  api.runtime.runPromise(
    Fixtures.board(api.world.organization.id, api.world.gateway.id, { name, slug: name.toLowerCase(), ...fields })
  )

/** A board with its lead provisioned on the simulator, and the lead's token. */
const boardWithLead = async (name: string, fields: Partial<Board> = {}) => {
  const board = await newBoard(name, fields)
  const owner = api.clientAs({ user: api.world.owner })
  const { agent } = await run(owner.boards.ensureLead({ params: { board_id: board.id }, payload: null }))
  const token = tokenOnGateway(api.simulator, agent)
  assert.isDefined(token)
  return { board, lead: agent, token: token! }
}

describe("a board's worker limit (max_agents)", () => {
  it("a lead creates workers up to max_agents, the lead not counted; then 409 in the reference's words", async () => {
    const { board, token } = await boardWithLead("Limited", { maxAgents: 2 })
    const lead = api.clientAs({ agentToken: token })
    await run(lead.agent.createAgent({ payload: { name: "First Worker" } }))
    await run(lead.agent.createAgent({ payload: { name: "Second Worker" } }))
    const refused = await failureOf(lead.agent.createAgent({ payload: { name: "Third Worker" } }), ConflictResponse)
    assert.strictEqual(
      refused.detail,
      "Board worker-agent limit reached: max_agents=2 (excluding the lead); cannot create more than 2 agents."
    )
    // Users are not limited.
    const owner = api.clientAs({ user: api.world.owner })
    const byUser = await run(owner.agents.create({ payload: { board_id: board.id, name: "Third Worker" } }))
    assert.strictEqual(byUser.board_id, board.id)
  })

  it("concurrent creates of one lead never pass the limit together; max_agents=1 says 'agent'", async () => {
    const { token } = await boardWithLead("Raced")
    const lead = api.clientAs({ agentToken: token })
    const outcomes = await Promise.all(
      ["Racer A", "Racer B", "Racer C"].map((name) =>
        Effect.runPromise(Effect.result(lead.agent.createAgent({ payload: { name } })))
      )
    )
    const created = outcomes.filter((outcome) => outcome._tag === "Success")
    assert.strictEqual(created.length, 1)
    for (const outcome of outcomes) {
      if (outcome._tag === "Failure") {
        assert.instanceOf(outcome.failure, ConflictResponse)
        assert.match(
          (outcome.failure as ConflictResponse).detail,
          /max_agents=1 \(excluding the lead\); cannot create more than 1 agent\.$/
        )
      }
    }
  })
})

describe("is_board_lead on create", () => {
  it("a user creates the board's lead directly; a second lead is refused with 409", async () => {
    const board = await newBoard("Chosen Lead")
    const owner = api.clientAs({ user: api.world.owner })
    const lead = await run(
      owner.agents.create({ payload: { board_id: board.id, name: "Picked", is_board_lead: true } })
    )
    assert.isTrue(lead.is_board_lead)
    assert.strictEqual(lead.openclaw_session_id, `agent:lead-${board.id}:main`)
    assert.isDefined(tokenOnGateway(api.simulator, lead))
    const second = await failureOf(
      owner.agents.create({ payload: { board_id: board.id, name: "Also Picked", is_board_lead: true } }),
      ConflictResponse
    )
    assert.strictEqual(second.detail, "This board already has a lead agent.")
    // `ensureLead` finds the lead created this way instead of making another.
    const ensured = await run(owner.boards.ensureLead({ params: { board_id: board.id }, payload: null }))
    assert.deepStrictEqual([ensured.agent.id, ensured.created], [lead.id, false])
    const worker = await run(owner.agents.create({ payload: { board_id: board.id, name: "Plain" } }))
    assert.isFalse(worker.is_board_lead)
  })

  it("a lead cannot create a second lead of its board", async () => {
    const { token } = await boardWithLead("Lead Makes Lead", { maxAgents: 5 })
    const refused = await failureOf(
      api.clientAs({ agentToken: token }).agent.createAgent({ payload: { name: "Usurper", is_board_lead: true } }),
      ConflictResponse
    )
    assert.strictEqual(refused.detail, "This board already has a lead agent.")
  })
})

describe("heartbeats", () => {
  it("an agent's heartbeat needs no body; last_heartbeat_at is when it last came", async () => {
    const { agent, token } = await api.runtime.runPromise(
      Fixtures.agent({ gatewayId: api.world.gateway.id, boardId: api.world.board.id, name: "Bodyless" })
    )
    const self = api.clientAs({ agentToken: token })
    const owner = api.clientAs({ user: api.world.owner })
    assert.isNull((await run(owner.agents.get({ params: { agent_id: agent.id } }))).last_heartbeat_at)
    const beat = await run(self.agent.heartbeat({ payload: null }))
    assert.strictEqual(beat.id, agent.id)
    assert.isNotNull(beat.last_heartbeat_at)
    // An empty request body is a heartbeat without a body, too.
    const raw = await api.call("POST", "/agent/heartbeat", { agentToken: token, contentType: null })
    assert.strictEqual(raw.status, 200, JSON.stringify(raw.body))
    assert.strictEqual(raw.body.status, "online")
    // With the reference's body, its status is taken.
    const busy = await run(self.agent.heartbeat({ payload: { name: agent.name, status: "busy" } }))
    assert.strictEqual(busy.status, "busy")
    assert.isTrue(busy.last_heartbeat_at! >= beat.last_heartbeat_at!)
  })

  it("an agent is offline after one and a half of its heartbeat interval, else after ten minutes", async () => {
    const seenAgo = async (name: string, ago: Duration.Input, every: string | null) => {
      const at = DateTime.subtractDuration(DateTime.nowUnsafe(), ago)
      const { agent } = await api.runtime.runPromise(Fixtures.agent({
        gatewayId: api.world.gateway.id,
        boardId: api.world.board.id,
        name,
        lastSeenAt: at,
        heartbeatConfig: every === null ? null : { every, target: "last" }
      }))
      return agent.id
    }
    const statusOf = async (id: AgentId) =>
      (await run(api.clientAs({ user: api.world.owner }).agents.get({ params: { agent_id: id } }))).status
    assert.strictEqual(await statusOf(await seenAgo("Fast Silent", "2 minutes", "1m")), "offline")
    assert.strictEqual(await statusOf(await seenAgo("Fast Recent", "80 seconds", "1m")), "online")
    assert.strictEqual(await statusOf(await seenAgo("Slow Quiet", "50 minutes", "1h")), "online")
    assert.strictEqual(await statusOf(await seenAgo("Default Quiet", "11 minutes", null)), "offline")
    assert.strictEqual(await statusOf(await seenAgo("Default Recent", "9 minutes", null)), "online")
  })
})

describe("template sync: lead_only and overwrite", () => {
  it("lead_only syncs the leads alone; overwrite rewrites the files an update keeps", async () => {
    const { board, lead } = await boardWithLead("Synced")
    const owner = api.clientAs({ user: api.world.owner })
    const worker = await run(owner.agents.create({ payload: { board_id: board.id, name: "Synced Worker" } }))
    const sync = async (query: { readonly lead_only?: boolean; readonly overwrite?: boolean }) => {
      const answer = await run(owner.gateways.syncTemplates({
        params: { gateway_id: api.world.gateway.id },
        query: { board_id: board.id, include_main: false, ...query },
        headers: {}
      }))
      if (!("gateway_id" in answer)) throw new Error("expected the JSON result, got a stream")
      return answer
    }
    const leadOnly = await sync({ lead_only: true })
    assert.deepStrictEqual([leadOnly.agents_updated, leadOnly.errors], [1, []])
    const everyone = await sync({})
    assert.strictEqual(everyone.agents_updated, 2)

    const leadKey = lead.openclaw_session_id!.split(":")[1]!
    const leadFiles = api.simulator.agents().get(leadKey)!.files
    const workerFiles = api.simulator.agents().get(worker.openclaw_session_id!.split(":")[1]!)!.files
    leadFiles.set("USER.md", "# Edited by the lead\n")
    workerFiles.set("USER.md", "# Edited by the worker\n")
    await sync({})
    assert.strictEqual(leadFiles.get("USER.md"), "# Edited by the lead\n")
    await sync({ lead_only: true, overwrite: true })
    assert.notStrictEqual(leadFiles.get("USER.md"), "# Edited by the lead\n")
    assert.include(leadFiles.get("USER.md"), "User")
    // Not a lead: not synced, its edit kept.
    assert.strictEqual(workerFiles.get("USER.md"), "# Edited by the worker\n")
  })
})

describe("agent-token rate limit", () => {
  it("60 requests per token per minute, then 429 'Too Many Requests'; other tokens are not affected", async () => {
    const first = await api.runtime.runPromise(
      Fixtures.agent({ gatewayId: api.world.gateway.id, boardId: api.world.board.id, name: "Chatty" })
    )
    const second = await api.runtime.runPromise(
      Fixtures.agent({ gatewayId: api.world.gateway.id, boardId: api.world.board.id, name: "Quiet" })
    )
    const chatty = api.clientAs({ agentToken: first.token })
    for (let request = 0; request < 60; request++) await run(chatty.agent.healthz())
    const limited = await failureOf(chatty.agent.healthz(), TooManyRequestsResponse)
    assert.strictEqual(limited.detail, "Too Many Requests")
    // As a bearer token, the same token shares the same limit.
    await failureOf(api.clientAs({ bearer: first.token }).agent.healthz(), TooManyRequestsResponse)
    assert.strictEqual(
      (await run(api.clientAs({ agentToken: second.token }).agent.healthz())).agent_id,
      second.agent.id
    )
  })
})

describe("probes", () => {
  it("/healthz and /health answer ok; /readyz checks the database", async () => {
    const anonymous = api.clientAs({})
    assert.deepStrictEqual(await run(anonymous.health.healthz()), { ok: true })
    assert.deepStrictEqual(await run(anonymous.health.health()), { ok: true })
    assert.deepStrictEqual(await run(anonymous.health.readyz()), { ok: true })
    const ready = await fetch(`${api.origin}/readyz`)
    assert.strictEqual(ready.status, 200)
    assert.isNotNull(ready.headers.get("x-request-id"))
  })
})

describe("secrets in traces", () => {
  it("a gateway token in a query and an agent token in a header never reach a span", async () => {
    const { token } = await api.runtime.runPromise(
      Fixtures.agent({ gatewayId: api.world.gateway.id, boardId: api.world.board.id, name: "Traced" })
    )
    const gatewayToken = "query-secret-gateway-token"
    recorder.clear()
    const status = await api.call(
      "GET",
      `/gateways/status?gateway_url=${encodeURIComponent(api.simulator.url)}&gateway_token=${gatewayToken}`,
      { user: api.world.owner }
    )
    assert.strictEqual(status.status, 200)
    await api.call("GET", "/agent/healthz", { agentToken: token })
    const spans = recorder.spans()
    const server = spans.filter((span) => typeof span.attributes.get("url.full") === "string")
    assert.isAtLeast(server.length, 2)
    assert.include(String(server[0]!.attributes.get("url.query")), "gateway_token=")
    const recorded = JSON.stringify(spans.map((span) => [span.name, [...span.attributes.entries()]]))
    assert.notInclude(recorded, gatewayToken)
    assert.notInclude(recorded, token)
  })
})
