// Boards over HTTP on real Postgres: CRUD with the reference's rules, agent-token reads, board memory and chat.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import type { BoardCreateBody, GatewayId } from "@mission-control/core"
import { ForbiddenResponse, NotFoundResponse, UnprocessableResponse } from "@mission-control/core/http"
import { Fixtures } from "@mission-control/core/testing"
import express from "express"
import { failureOf, run, startApi } from "./harness.js"

let api: Awaited<ReturnType<typeof startApi>>
let tokens: { readonly main: string; readonly worker: string; readonly otherMain: string }

beforeAll(async () => {
  api = await startApi(express as never)
  const world = api.world
  const main = await api.runtime.runPromise(Fixtures.agent({ gatewayId: world.gateway.id, boardId: null }))
  const worker = await api.runtime.runPromise(Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id }))
  const otherMain = await api.runtime.runPromise(Fixtures.agent({ gatewayId: world.other.gateway.id, boardId: null }))
  tokens = { main: main.token, worker: worker.token, otherMain: otherMain.token }
}, 60_000)

afterAll(async () => {
  await api?.stop()
  await closeSharedTestDatabase()
})

const body = (gatewayId: string, fields: Partial<BoardCreateBody> = {}): BoardCreateBody => ({
  name: "Roadmap",
  slug: "roadmap",
  description: "Plans",
  gateway_id: gatewayId as GatewayId,
  ...fields
})

const missing = "00000000-0000-4000-8000-000000000000"

describe("boards CRUD", () => {
  it("an org admin creates a board: the reference's fields and defaults; members and other gateways are refused", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const created = await run(owner.boards.create({ payload: body(api.world.gateway.id) }))
    assert.deepStrictEqual({ ...created, id: "", created_at: "", updated_at: "" }, {
      name: "Roadmap",
      slug: "roadmap",
      description: "Plans",
      gateway_id: api.world.gateway.id,
      board_group_id: null,
      board_type: "goal",
      objective: null,
      success_metrics: null,
      target_date: null,
      goal_confirmed: false,
      goal_source: null,
      require_approval_for_done: true,
      require_review_before_done: false,
      comment_required_for_review: false,
      block_status_changes_with_pending_approval: false,
      only_lead_can_change_status: false,
      max_agents: 1,
      id: "",
      organization_id: api.world.organization.id,
      created_at: "",
      updated_at: ""
    })
    assert.match(created.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$/)

    const member = await failureOf(
      api.clientAs({ user: api.world.writer }).boards.create({ payload: body(api.world.gateway.id) }),
      ForbiddenResponse
    )
    assert.strictEqual(member.detail, "Forbidden")
    const foreign = await failureOf(
      owner.boards.create({ payload: body(api.world.other.gateway.id) }),
      UnprocessableResponse
    )
    assert.strictEqual(foreign.detail, "gateway_id is invalid")
    const bare = await failureOf(
      owner.boards.create({ payload: body(api.world.gateway.id, { board_group_id: missing }) }),
      UnprocessableResponse
    )
    assert.strictEqual(bare.detail, "board_group_id is invalid")
  })

  it("body rules answer FastAPI's value errors at the body", async () => {
    const owner = { user: api.world.owner }
    const noGateway = await api.call("POST", "/boards", { ...owner, body: { name: "A", slug: "a", description: "d" } })
    assert.strictEqual(noGateway.status, 422)
    assert.deepStrictEqual(noGateway.body.detail.map((issue: any) => [issue.type, issue.loc, issue.msg]), [
      ["value_error", ["body"], "Value error, gateway_id is required"]
    ])
    const blank = await api.call("POST", "/boards", {
      ...owner,
      body: { ...body(api.world.gateway.id), description: "  " }
    })
    assert.deepStrictEqual(blank.body.detail.map((issue: any) => issue.msg), ["Value error, description is required"])
    const goal = await api.call("POST", "/boards", {
      ...owner,
      body: { ...body(api.world.gateway.id), goal_confirmed: true, target_date: "2026-03-01" }
    })
    assert.deepStrictEqual(goal.body.detail.map((issue: any) => issue.msg), [
      "Value error, Confirmed goal boards require objective and success_metrics"
    ])
    const fields = await api.call("POST", "/boards", {
      ...owner,
      body: { ...body(api.world.gateway.id), max_agents: -1, target_date: "soon" }
    })
    assert.deepStrictEqual(fields.body.detail.map((issue: any) => [issue.type, issue.loc]), [
      ["datetime_from_date_parsing", ["body", "target_date"]],
      ["greater_than_equal", ["body", "max_agents"]]
    ])
    const dated = await api.call("POST", "/boards", {
      ...owner,
      body: { ...body(api.world.gateway.id), name: "Dated", target_date: "2026-03-01T09:30:00" }
    })
    assert.deepStrictEqual([dated.status, dated.body.target_date], [200, "2026-03-01T09:30:00"])
    for (const [method, path] of [["POST", "/boards"], ["PATCH", `/boards/${api.world.board.id}`]] as const) {
      const anonymous = await api.call(method, path, { headers: { authorization: "Bearer nobody" }, body: {} })
      assert.strictEqual(anonymous.status, 401, `${method} ${path}`)
    }
    const nullGateway = await api.call("PATCH", `/boards/${api.world.board.id}`, {
      ...owner,
      body: { gateway_id: null }
    })
    assert.deepStrictEqual(nullGateway.body.detail.map((issue: any) => issue.msg), [
      "Value error, gateway_id is required"
    ])
  })

  it("lists what the member may read; gets, updates and deletes with the reference's access answers", async () => {
    const reader = api.clientAs({ user: api.world.reader })
    const otherAdmin = api.clientAs({ user: api.world.other.admin })
    const owner = api.clientAs({ user: api.world.owner })
    const readable = await run(reader.boards.list({ query: {} }))
    assert.deepStrictEqual(readable.items.map((board) => board.id), [api.world.board.id])
    assert.deepStrictEqual([readable.total, readable.limit, readable.offset], [1, 200, 0])
    const others = await run(otherAdmin.boards.list({ query: {} }))
    assert.deepStrictEqual(others.items.map((board) => board.id), [api.world.other.board.id])
    const onGateway = await run(owner.boards.list({ query: { gateway_id: api.world.other.gateway.id } }))
    assert.strictEqual(onGateway.total, 0)
    const badQuery = await api.call("GET", "/boards?gateway_id=nope", { user: api.world.owner })
    assert.strictEqual(badQuery.status, 422)

    assert.strictEqual((await run(reader.boards.get({ params: { board_id: api.world.board.id } }))).name, "Launch")
    const crossOrg = await failureOf(
      otherAdmin.boards.get({ params: { board_id: api.world.board.id } }),
      ForbiddenResponse
    )
    assert.strictEqual(crossOrg.detail, "No org access")
    const unknown = await failureOf(owner.boards.get({ params: { board_id: missing } }), NotFoundResponse)
    assert.strictEqual(unknown.detail, "Not Found")
    await failureOf(owner.boards.get({ params: { board_id: "not-a-uuid" } }), NotFoundResponse)

    const denied = await failureOf(
      reader.boards.update({ params: { board_id: api.world.board.id }, payload: { max_agents: 2 } }),
      ForbiddenResponse
    )
    assert.strictEqual(denied.detail, "Board access denied")
    const writer = api.clientAs({ user: api.world.writer })
    const updated = await run(
      writer.boards.update({ params: { board_id: api.world.board.id }, payload: { max_agents: 2, objective: "Ship" } })
    )
    assert.deepStrictEqual([updated.max_agents, updated.objective, updated.name], [2, "Ship", "Launch"])
    const moved = await failureOf(
      writer.boards.update({
        params: { board_id: api.world.board.id },
        payload: { gateway_id: api.world.other.gateway.id }
      }),
      UnprocessableResponse
    )
    assert.strictEqual(moved.detail, "gateway_id is invalid")

    const doomed = await run(owner.boards.create({ payload: body(api.world.gateway.id, { name: "Doomed" }) }))
    const notYours = await failureOf(otherAdmin.boards.delete({ params: { board_id: doomed.id } }), ForbiddenResponse)
    assert.strictEqual(notYours.detail, "No org access")
    assert.deepStrictEqual(await run(owner.boards.delete({ params: { board_id: doomed.id } })), { ok: true })
    await failureOf(owner.boards.get({ params: { board_id: doomed.id } }), NotFoundResponse)
    await failureOf(owner.boards.delete({ params: { board_id: doomed.id } }), NotFoundResponse)
  })
})

describe("boards for agents, and board memory", () => {
  it("an agent reads its own board; the gateway agent its organization's; other boards are 403", async () => {
    const worker = api.clientAs({ agentToken: tokens.worker })
    const own = await run(worker.agentBoards.list({ query: {} }))
    assert.deepStrictEqual([own.items.map((board) => board.id), own.total], [[api.world.board.id], 1])
    const main = await run(api.clientAs({ agentToken: tokens.main }).agentBoards.list({ query: {} }))
    assert.include(main.items.map((board) => board.id), api.world.board.id)
    assert.notInclude(main.items.map((board) => board.id), api.world.other.board.id)
    assert.strictEqual(
      (await run(worker.agentBoards.get({ params: { board_id: api.world.board.id } }))).id,
      api.world.board.id
    )
    await failureOf(worker.agentBoards.get({ params: { board_id: api.world.other.board.id } }), ForbiddenResponse)
    await failureOf(
      api.clientAs({ agentToken: tokens.otherMain }).agentBoards.get({ params: { board_id: api.world.board.id } }),
      ForbiddenResponse
    )
    await failureOf(worker.agentBoards.get({ params: { board_id: missing } }), NotFoundResponse)
    assert.strictEqual((await api.call("GET", "/agent/boards", { user: api.world.owner })).status, 401)
  })

  it("POST /boards/{id}/memory records chat (the /pause command) and notes; GET pages them by is_chat", async () => {
    const writer = api.clientAs({ user: api.world.writer })
    const params = { board_id: api.world.board.id }
    const paused = await api.call("POST", `/boards/${api.world.board.id}/memory`, {
      user: api.world.writer,
      body: { content: " /pause ", tags: ["chat"] }
    })
    assert.deepStrictEqual(
      [paused.status, paused.body.content, paused.body.is_chat, paused.body.source, paused.body.tags],
      [200, "/pause", true, "Walt Writer", ["chat"]]
    )
    const agent = api.clientAs({ agentToken: tokens.worker })
    const note = await run(
      agent.agentBoards.createMemory({ params, payload: { content: "decided X", tags: ["decision"] } })
    )
    assert.deepStrictEqual([note.is_chat, note.source], [false, null])
    const chat = await run(
      api.clientAs({ user: api.world.reader }).boards.listMemory({ params, query: { is_chat: true } })
    )
    assert.deepStrictEqual(chat.items.map((item) => item.content), ["/pause"])
    const all = await run(agent.agentBoards.listMemory({ params, query: {} }))
    assert.deepStrictEqual(all.items.map((item) => item.content), ["decided X", "/pause"])

    const readerWrite = await failureOf(
      api.clientAs({ user: api.world.reader }).boards.createMemory({ params, payload: { content: "x" } }),
      ForbiddenResponse
    )
    assert.strictEqual(readerWrite.detail, "Board access denied")
    const crossOrg = await failureOf(
      api.clientAs({ user: api.world.other.admin }).boards.listMemory({ params, query: {} }),
      ForbiddenResponse
    )
    assert.strictEqual(crossOrg.detail, "No org access")
    await failureOf(
      api.clientAs({ agentToken: tokens.otherMain }).boards.createMemory({
        params,
        payload: { content: "/resume", tags: ["chat"] }
      }),
      ForbiddenResponse
    )
    const blank = await api.call("POST", `/boards/${api.world.board.id}/memory`, {
      user: api.world.writer,
      body: { content: "   " }
    })
    assert.deepStrictEqual([blank.status, blank.body.detail[0].type], [422, "string_too_short"])
    await run(writer.boards.createMemory({ params, payload: { content: "/resume", tags: ["chat"] } }))
  })
})
