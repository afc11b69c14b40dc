// The agent coordination routes over HTTP on Postgres with the gateway simulator: nudges, SOUL reads and writes, the
// lead asking the user, the gateway agent messaging one lead or broadcasting to all (without creating any), and who
// may call each.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import type { AgentId, BoardId, GatewayId, MissionControlServices } from "@mission-control/core"
import { ActivityRepository, AgentRepository, gatewayMainSessionKey, Settings } from "@mission-control/core"
import {
  ForbiddenResponse,
  GatewayFailureResponse,
  NotFoundResponse,
  openApiDocument,
  UnprocessableResponse
} from "@mission-control/core/http"
import { Fixtures } from "@mission-control/core/testing"
import { Duration, Effect, Layer } from "effect"
import express from "express"
import { failureOf, run, startApi, tokenOnGateway } from "./harness.js"

type Api = Awaited<ReturnType<typeof startApi>>
let api: Api

const baseUrl = "http://mission-control.test"
const settings = Settings.defaultValue()
// Coordination retries transient gateway errors until this deadline (45 s by default).
const retry = { ...settings.operationRetry, baseDelay: Duration.millis(50), maxDelay: Duration.millis(200) }
const testSettings = Layer.succeed(Settings, {
  ...settings,
  baseUrl,
  operationRetry: { ...retry, deadline: Duration.seconds(1) }
})

interface Actor {
  readonly id: AgentId
  readonly name: string
  readonly token: string
}

const world = () => api.world
const as = (actor: { readonly token: string }) => api.clientAs({ agentToken: actor.token })
const runtime = <A, E>(effect: Effect.Effect<A, E, MissionControlServices>) => api.runtime.runPromise(effect)

/** An agent record with a token (no gateway call), on a board or (board `null`) the gateway's main agent. */
const recordAgent = async (
  gatewayId: GatewayId,
  boardId: BoardId | null,
  fields: { readonly name: string; readonly isBoardLead?: boolean; readonly openclawSessionId?: string | null }
): Promise<Actor> => {
  const { agent, token } = await runtime(Fixtures.agent({ gatewayId, boardId, ...fields }))
  return { id: agent.id, name: agent.name, token }
}

const newBoard = (name: string, gatewayId: GatewayId | null = world().gateway.id) =>
  runtime(Fixtures.board(world().organization.id, gatewayId, { name, slug: name.toLowerCase().replace(/\W+/g, "-") }))

const activityOf = async (agentId: AgentId) =>
  (await runtime(Effect.flatMap(ActivityRepository, (activity) => activity.listByAgent(agentId)))).map((event) => [
    event.eventType,
    event.message
  ])

const agentsOfGateway = (gatewayId: GatewayId) =>
  runtime(Effect.flatMap(AgentRepository, (agents) => agents.listByGateway(gatewayId)))

const chatsTo = (sessionKey: string) => api.simulator.chats().filter((chat) => chat["sessionKey"] === sessionKey)

/** A board with a provisioned lead and a provisioned worker on the simulator, and their tokens. */
let lead: Actor
let worker: Actor & { readonly sessionKey: string }
/** A lead and a worker of the other organization's board (records only). */
let otherLead: Actor
let otherWorker: Actor
/** The main agent of the world's gateway. */
let main: Actor
/** A board of the same organization with a lead, and a worker with no session. */
let secondBoard: { readonly id: BoardId }
let secondLead: Actor
let sessionless: Actor
/** A board of the same organization on a gateway nothing listens on, with a lead and a worker. */
let downBoard: { readonly id: BoardId }
let downLead: Actor
let downWorker: Actor
/** The main agent of that gateway, whose session is not its gateway's main session. */
let impostor: Actor

beforeAll(async () => {
  api = await startApi(express as never, testSettings)
  const owner = api.clientAs({ user: world().owner })
  const ensured = await run(owner.boards.ensureLead({ params: { board_id: world().board.id }, payload: null }))
  lead = { id: ensured.agent.id, name: ensured.agent.name, token: tokenOnGateway(api.simulator, ensured.agent)! }
  const created = await run(as(lead).agent.createAgent({ payload: { name: "Walt Worker" } }))
  worker = {
    id: created.id,
    name: created.name,
    token: tokenOnGateway(api.simulator, created)!,
    sessionKey: created.openclaw_session_id!
  }
  main = await recordAgent(world().gateway.id, null, {
    name: "Acme Gateway Agent",
    openclawSessionId: gatewayMainSessionKey(world().gateway.id)
  })
  const other = world().other
  otherLead = await recordAgent(other.gateway.id, other.board.id, { name: "Other Lead", isBoardLead: true })
  otherWorker = await recordAgent(other.gateway.id, other.board.id, { name: "Other Worker" })
  secondBoard = await newBoard("Second")
  secondLead = await recordAgent(world().gateway.id, secondBoard.id, { name: "Second Lead", isBoardLead: true })
  sessionless = await recordAgent(world().gateway.id, world().board.id, {
    name: "Sessionless",
    openclawSessionId: null
  })
  const deadGateway = await runtime(
    Fixtures.gateway(world().organization.id, { name: "Dead", url: "ws://127.0.0.1:1" })
  )
  downBoard = await newBoard("Down", deadGateway.id)
  downLead = await recordAgent(deadGateway.id, downBoard.id, { name: "Down Lead", isBoardLead: true })
  downWorker = await recordAgent(deadGateway.id, downBoard.id, { name: "Down Worker" })
  impostor = await recordAgent(deadGateway.id, null, { name: "Impostor", openclawSessionId: "agent:x:main" })
}, 120_000)

afterAll(async () => {
  await api.stop()
  await closeSharedTestDatabase()
})

/** A raw request with an agent's token: for bodies the typed client would refuse to send. */
const raw = (caller: Actor, method: string, path: string, body: unknown) =>
  api.call(method, path, { agentToken: caller.token, body })

const nudge = (caller: Actor, boardId: string, agentId: string, message = "Please update the triage status.") =>
  as(caller).agentCoordination.nudgeAgent({ params: { board_id: boardId, agent_id: agentId }, payload: { message } })

describe("POST /agent/boards/{board_id}/agents/{agent_id}/nudge", () => {
  it("a lead nudges a worker of its board: the session is made sure of, then the message is sent with delivery on", async () => {
    api.simulator.clearCalls()
    const answer = await raw(lead, "POST", `/agent/boards/${world().board.id}/agents/${worker.id}/nudge`, {
      message: "  Status, please.  "
    })
    assert.deepStrictEqual([answer.status, answer.body], [200, { ok: true }])
    const calls = api.simulator.calls().map((call) => [call.method, call.params["key"] ?? call.params["sessionKey"]])
    assert.deepStrictEqual(calls, [["sessions.patch", worker.sessionKey], ["chat.send", worker.sessionKey]])
    const patch = api.simulator.calls()[0]!
    assert.strictEqual(patch.params["label"], worker.name)
    const sent = chatsTo(worker.sessionKey).at(-1)!
    assert.deepStrictEqual([sent["message"], sent["deliver"]], ["Status, please.", true])
    assert.isString(sent["idempotencyKey"])
    assert.deepInclude(await activityOf(lead.id), ["agent.nudge.sent", `Nudge sent to ${worker.name}.`])
  })

  it("is for the board's lead only, on agents of that board; refusals send nothing", async () => {
    const before = api.simulator.chats().length
    const board = world().board.id
    const notLead = await failureOf(nudge(worker, board, lead.id), ForbiddenResponse)
    assert.strictEqual(notLead.detail, "Only board leads can perform this action")
    const mainAgent = await failureOf(nudge(main, board, worker.id), ForbiddenResponse)
    assert.strictEqual(mainAgent.detail, "Only board leads can perform this action")
    // A lead of another board, of this organization or another: the board is not theirs.
    for (const stranger of [secondLead, otherLead]) {
      assert.strictEqual((await failureOf(nudge(stranger, board, worker.id), ForbiddenResponse)).detail, "Forbidden")
    }
    // Agents of other boards, of other organizations, unknown or malformed ids: not found.
    for (const target of [secondLead.id, otherWorker.id, "00000000-0000-4000-8000-000000000000", "nope"]) {
      assert.strictEqual((await failureOf(nudge(lead, board, target), NotFoundResponse)).detail, "Not Found")
    }
    await failureOf(nudge(lead, "00000000-0000-4000-8000-000000000000", worker.id), NotFoundResponse)
    const noSession = await failureOf(nudge(lead, board, sessionless.id), UnprocessableResponse)
    assert.strictEqual(noSession.detail, "Target agent has no session key")
    const blank = await raw(lead, "POST", `/agent/boards/${board}/agents/${worker.id}/nudge`, { message: "   " })
    assert.deepStrictEqual([blank.status, blank.body.detail[0].loc], [422, ["body", "message"]])
    assert.strictEqual(api.simulator.chats().length, before)
  })

  it("a gateway that cannot be reached: 502 with the reference's text, recorded as a failed nudge", async () => {
    const failure = await failureOf(nudge(downLead, downBoard.id, downWorker.id), GatewayFailureResponse)
    assert.match(
      failure.detail,
      /^Gateway nudge failed: Gateway unreachable after 1 seconds \(gateway coordination timeout\)\. Last error: /
    )
    assert.notInclude(failure.detail, "127.0.0.1")
    const events = await activityOf(downLead.id)
    assert.deepInclude(events.map(([type]) => type), "agent.nudge.failed")
    assert.notDeepInclude(events.map(([type]) => type), "agent.nudge.sent")
  })

  it("a refusal of the gateway: 502 \"Gateway nudge failed: <its error>\"", async () => {
    api.simulator.configure({ faults: [{ method: "chat.send", kind: "error", message: "session is locked" }] })
    try {
      const failure = await failureOf(nudge(lead, world().board.id, worker.id), GatewayFailureResponse)
      assert.strictEqual(failure.detail, "Gateway nudge failed: session is locked")
    } finally {
      api.simulator.configure({ faults: [] })
    }
    assert.deepInclude(await activityOf(lead.id), [
      "agent.nudge.failed",
      `Nudge failed for ${worker.name}: session is locked`
    ])
  })
})

const soulOf = (caller: Actor, agentId: string, boardId: string = world().board.id) =>
  as(caller).agentCoordination.getAgentSoul({ params: { board_id: boardId, agent_id: agentId } })

const writeSoul = (
  caller: Actor,
  agentId: string,
  payload: { readonly content: string; readonly reason?: string | null; readonly source_url?: string | null },
  boardId: string = world().board.id
) => as(caller).agentCoordination.updateAgentSoul({ params: { board_id: boardId, agent_id: agentId }, payload })

const workerKey = () => worker.sessionKey.split(":")[1]!

describe("SOUL of a board agent", () => {
  it("GET: the agent itself and the board's lead read it from the gateway, as a JSON string", async () => {
    api.simulator.putFile(workerKey(), "SOUL.md", "# Soul\nCalm \"and\" kind.\n")
    assert.strictEqual(await run(soulOf(worker, worker.id)), "# Soul\nCalm \"and\" kind.\n")
    assert.strictEqual(await run(soulOf(lead, worker.id)), "# Soul\nCalm \"and\" kind.\n")
    const raw = await api.call("GET", `/agent/boards/${world().board.id}/agents/${worker.id}/soul`, {
      agentToken: worker.token
    })
    assert.strictEqual(raw.status, 200)
    assert.match(raw.headers.get("content-type") ?? "", /^application\/json/)
    assert.strictEqual(raw.body, "# Soul\nCalm \"and\" kind.\n")
    const read = api.simulator.calls().filter((call) => call.method === "agents.files.get").at(-1)!
    assert.deepStrictEqual(read.params, { agentId: workerKey(), name: "SOUL.md" })
  })

  it("GET: another worker, a lead of another board or organization may not; unknown agents are not found", async () => {
    const forbidden = await failureOf(soulOf(sessionless, worker.id), ForbiddenResponse)
    assert.strictEqual(forbidden.detail, "Forbidden")
    await failureOf(soulOf(secondLead, worker.id), ForbiddenResponse)
    await failureOf(soulOf(otherLead, worker.id), ForbiddenResponse)
    // The other organization's main agent reading its own SOUL through our board: another organization's board.
    const otherMain = await recordAgent(world().other.gateway.id, null, {
      name: "Globex Gateway Agent",
      openclawSessionId: gatewayMainSessionKey(world().other.gateway.id)
    })
    await failureOf(soulOf(otherMain, otherMain.id), ForbiddenResponse)
    await failureOf(soulOf(lead, otherWorker.id), NotFoundResponse)
    await failureOf(soulOf(lead, worker.id, "00000000-0000-4000-8000-000000000000"), NotFoundResponse)
  })

  it("GET: a gateway failure or a missing file is 502 \"Gateway SOUL read failed\", without the gateway's words", async () => {
    // An agent whose record exists but which the gateway does not know.
    const failure = await failureOf(soulOf(lead, sessionless.id), GatewayFailureResponse)
    assert.strictEqual(failure.detail, "Gateway SOUL read failed")
    api.simulator.agents().get(workerKey())!.files.delete("SOUL.md")
    assert.strictEqual(
      (await failureOf(soulOf(lead, worker.id), GatewayFailureResponse)).detail,
      "Gateway SOUL read failed"
    )
    const down = await failureOf(soulOf(downLead, downWorker.id, downBoard.id), GatewayFailureResponse)
    assert.strictEqual(down.detail, "Gateway SOUL read failed")
  })

  it("PUT: the lead saves the trimmed content as soul_template, writes SOUL.md and records why", async () => {
    const ok = await run(writeSoul(lead, worker.id, {
      content: "  # New soul\nBe brief.  ",
      reason: " tone ",
      source_url: "https://souls.example/brief"
    }))
    assert.deepStrictEqual(ok, { ok: true })
    assert.strictEqual(api.simulator.file(workerKey(), "SOUL.md"), "# New soul\nBe brief.")
    const stored = await run(api.clientAs({ user: world().owner }).agents.get({ params: { agent_id: worker.id } }))
    assert.strictEqual(stored.soul_template, "# New soul\nBe brief.")
    assert.deepInclude(await activityOf(lead.id), [
      "agent.soul.updated",
      `SOUL.md updated for ${worker.name}. Reason: tone Source: https://souls.example/brief`
    ])
    assert.strictEqual(await run(soulOf(worker, worker.id)), "# New soul\nBe brief.")
  })

  it("PUT: lead only; blank content is 422 \"content is required\"; a gateway failure is 502 after the save", async () => {
    const notLead = await failureOf(writeSoul(worker, worker.id, { content: "mine" }), ForbiddenResponse)
    assert.strictEqual(notLead.detail, "Only board leads can perform this action")
    await failureOf(writeSoul(otherLead, worker.id, { content: "theirs" }), ForbiddenResponse)
    await failureOf(writeSoul(lead, otherWorker.id, { content: "theirs" }), NotFoundResponse)
    const blank = await failureOf(writeSoul(lead, worker.id, { content: " \n " }), UnprocessableResponse)
    assert.strictEqual(blank.detail, "content is required")
    const missing = await raw(lead, "PUT", `/agent/boards/${world().board.id}/agents/${worker.id}/soul`, {})
    assert.deepStrictEqual([missing.status, missing.body.detail[0].loc], [422, ["body", "content"]])
    assert.strictEqual(api.simulator.file(workerKey(), "SOUL.md"), "# New soul\nBe brief.")

    const failure = await failureOf(
      writeSoul(downLead, downWorker.id, { content: "Down soul" }, downBoard.id),
      GatewayFailureResponse
    )
    assert.match(failure.detail, /^Gateway SOUL update failed: Gateway unreachable after 1 seconds/)
    const saved = await runtime(Fixtures.reload(downWorker.id))
    assert.strictEqual(saved.soulTemplate, "Down soul")
  })
})

const askUser = (caller: Actor, boardId: string, payload: Record<string, unknown> = { content: "May we spend $50?" }) =>
  as(caller).agentCoordination.askUserViaGatewayMain({ params: { board_id: boardId }, payload: payload as never })

describe("POST /agent/boards/{board_id}/gateway/main/ask-user", () => {
  it("the lead's question goes to the gateway agent's main session, delivered, with how to answer", async () => {
    const answer = await raw(lead, "POST", `/agent/boards/${world().board.id}/gateway/main/ask-user`, {
      content: "  May we spend $50?  ",
      correlation_id: "ask-1",
      preferred_channel: "sms"
    })
    assert.deepStrictEqual(answer.body, {
      ok: true,
      board_id: world().board.id,
      main_agent_id: main.id,
      main_agent_name: main.name
    })
    const sent = chatsTo(gatewayMainSessionKey(world().gateway.id)).at(-1)!
    assert.strictEqual(sent["deliver"], true)
    const message = String(sent["message"])
    for (
      const part of [
        `Board ID: ${world().board.id}`,
        `From lead: ${lead.name}`,
        "Correlation ID: ask-1",
        "Preferred channel: sms",
        "\nMay we spend $50?\n",
        `POST ${baseUrl}/api/v1/agent/boards/${world().board.id}/memory`,
        `"tags":["gateway_main","user_reply"],"source":"user_via_gateway_main"`
      ]
    ) assert.include(message, part)
    assert.deepInclude(await activityOf(lead.id), [
      "gateway.lead.ask_user.sent",
      `Lead requested user info via gateway agent for board: ${world().board.name}.`
    ])
  })

  it("lead of the board only; a gateway down is 502 \"Gateway ask-user dispatch failed: …\"", async () => {
    const before = api.simulator.chats().length
    await failureOf(askUser(worker, world().board.id), ForbiddenResponse)
    await failureOf(askUser(main, world().board.id), ForbiddenResponse)
    assert.strictEqual((await failureOf(askUser(otherLead, world().board.id), ForbiddenResponse)).detail, "Forbidden")
    await failureOf(askUser(lead, "00000000-0000-4000-8000-000000000000"), NotFoundResponse)
    const blank = await raw(lead, "POST", `/agent/boards/${world().board.id}/gateway/main/ask-user`, { content: " " })
    assert.strictEqual(blank.status, 422)
    assert.strictEqual(api.simulator.chats().length, before)
    const down = await failureOf(askUser(downLead, downBoard.id), GatewayFailureResponse)
    assert.match(down.detail, /^Gateway ask-user dispatch failed: Gateway unreachable after 1 seconds/)
    assert.deepInclude((await activityOf(downLead.id)).map(([type]) => type), "gateway.lead.ask_user.failed")
  })
})

const messageLead = (caller: Actor, boardId: string, payload: Record<string, unknown> = { content: "Triage." }) =>
  as(caller).agentCoordination.messageBoardLead({ params: { board_id: boardId as BoardId }, payload: payload as never })

describe("POST /agent/gateway/boards/{board_id}/lead/message", () => {
  it("the gateway agent messages a board's lead, without delivery", async () => {
    const answer = await run(messageLead(main, world().board.id, {
      kind: "handoff",
      content: "Take over task 14.",
      reply_tags: ["custom"],
      reply_source: "ops"
    }))
    assert.deepStrictEqual(answer, {
      ok: true,
      board_id: world().board.id,
      lead_agent_id: lead.id,
      lead_agent_name: lead.name,
      lead_created: false
    })
    const sent = chatsTo(`agent:lead-${world().board.id}:main`).at(-1)!
    assert.strictEqual(sent["deliver"], false)
    const message = String(sent["message"])
    assert.isTrue(message.startsWith("GATEWAY MAIN HANDOFF\n"))
    for (const part of [`From agent: ${main.name}`, "Take over task 14.", `"tags":["custom"],"source":"ops"`]) {
      assert.include(message, part)
    }
    assert.deepInclude(await activityOf(main.id), [
      "gateway.main.lead_message.sent",
      `Sent handoff to lead for board: ${world().board.name}.`
    ])
  })

  it("a board without a lead gets one, as the reference does (lead_created)", async () => {
    const board = await newBoard("Leaderless")
    const answer = await run(messageLead(main, board.id))
    assert.isTrue(answer.lead_created)
    assert.strictEqual(answer.lead_agent_name, "Lead Agent")
    assert.strictEqual(chatsTo(`agent:lead-${board.id}:main`).at(-1)!["deliver"], false)
  })

  it("for the gateway's own main agent only, on boards of its gateway", async () => {
    const board = world().board.id
    assert.strictEqual((await failureOf(messageLead(lead, board), ForbiddenResponse)).detail, "Forbidden")
    assert.strictEqual(
      (await failureOf(messageLead(impostor, board), ForbiddenResponse)).detail,
      "Only the dedicated gateway agent may call this endpoint."
    )
    // Boards of another gateway: of this organization, or of another one.
    for (const other of [downBoard.id, world().other.board.id]) {
      assert.strictEqual((await failureOf(messageLead(main, other), ForbiddenResponse)).detail, "Forbidden")
    }
    const missing = await failureOf(messageLead(main, "00000000-0000-4000-8000-000000000000"), NotFoundResponse)
    assert.strictEqual(missing.detail, "Board not found")
    const malformed = await api.call("POST", "/agent/gateway/boards/nope/lead/message", {
      agentToken: main.token,
      body: { content: "x" }
    })
    assert.deepStrictEqual([malformed.status, malformed.body.detail[0].type], [422, "uuid_parsing"])
  })

  it("a gateway failure is 502 \"Gateway lead message dispatch failed: …\"", async () => {
    api.simulator.configure({ faults: [{ method: "chat.send", kind: "error", message: "queue full" }] })
    try {
      const failure = await failureOf(messageLead(main, world().board.id), GatewayFailureResponse)
      assert.strictEqual(failure.detail, "Gateway lead message dispatch failed: queue full")
    } finally {
      api.simulator.configure({ faults: [] })
    }
    assert.deepInclude(await activityOf(main.id), [
      "gateway.main.lead_message.failed",
      `Lead message failed for ${world().board.name}: queue full`
    ])
  })
})

const broadcast = (caller: Actor, payload: Record<string, unknown>) =>
  as(caller).agentCoordination.broadcastLeadMessage({ payload: payload as never })

describe("POST /agent/gateway/leads/broadcast", () => {
  it("messages every lead of the gateway's boards, newest board first; boards without a lead get none", async () => {
    const lonely = await newBoard("Lonely")
    const agentsBefore = (await agentsOfGateway(world().gateway.id)).length
    const gatewayAgentsBefore = api.simulator.agents().size
    api.simulator.clearCalls()
    const answer = await run(broadcast(main, { content: "Incident: freeze deploys." }))
    const byBoard = new Map(answer.results.map((result) => [result.board_id, result]))
    assert.deepStrictEqual(byBoard.get(lonely.id), {
      board_id: lonely.id,
      lead_agent_id: null,
      lead_agent_name: null,
      ok: false,
      error: "Board has no lead agent"
    })
    assert.deepStrictEqual(byBoard.get(world().board.id), {
      board_id: world().board.id,
      lead_agent_id: lead.id,
      lead_agent_name: lead.name,
      ok: true,
      error: null
    })
    assert.deepInclude(byBoard.get(secondBoard.id), { lead_agent_id: secondLead.id, ok: true })
    assert.strictEqual(answer.results[0]!.board_id, lonely.id, "the newest board comes first")
    assert.strictEqual(answer.sent + answer.failed, answer.results.length)
    assert.strictEqual(answer.failed, answer.results.filter((result) => !result.ok).length)
    // Only boards of the caller's gateway: not the dead gateway's board, not the other organization's.
    assert.isFalse(byBoard.has(downBoard.id))
    assert.isFalse(byBoard.has(world().other.board.id))
    // Incident #333: nothing was created, neither a record nor an agent on the gateway.
    assert.strictEqual((await agentsOfGateway(world().gateway.id)).length, agentsBefore)
    assert.strictEqual(api.simulator.agents().size, gatewayAgentsBefore)
    const methods = new Set(api.simulator.calls().map((call) => call.method))
    assert.deepStrictEqual([...methods].sort(), ["chat.send", "sessions.patch"])
    assert.lengthOf(chatsTo(`agent:lead-${lonely.id}:main`), 0)
    assert.strictEqual(chatsTo(`agent:lead-${world().board.id}:main`).at(-1)!["deliver"], false)
    assert.deepInclude(await activityOf(main.id), [
      "gateway.main.lead_broadcast.sent",
      `Broadcast question to ${answer.sent} board leads (failed: ${answer.failed}).`
    ])
  })

  it("board_ids narrows it; failures are per board", async () => {
    api.simulator.configure({
      faults: [{ method: "chat.send", kind: "error", message: "lead busy", times: 1 }]
    })
    try {
      const answer = await run(broadcast(main, {
        content: "Check in.",
        board_ids: [world().board.id, world().other.board.id]
      }))
      assert.deepStrictEqual(answer, {
        ok: true,
        sent: 0,
        failed: 1,
        results: [{
          board_id: world().board.id,
          lead_agent_id: lead.id,
          lead_agent_name: lead.name,
          ok: false,
          error: "Gateway lead broadcast dispatch failed: lead busy"
        }]
      })
    } finally {
      api.simulator.configure({ faults: [] })
    }
  })

  it("for the gateway's own main agent only", async () => {
    assert.strictEqual((await failureOf(broadcast(lead, { content: "x" }), ForbiddenResponse)).detail, "Forbidden")
    const refused = await failureOf(broadcast(impostor, { content: "x" }), ForbiddenResponse)
    assert.strictEqual(refused.detail, "Only the dedicated gateway agent may call this endpoint.")
    for (const body of [{ content: "  " }, { content: "x", kind: "order" }, { content: "x", board_ids: ["nope"] }]) {
      const refusedBody = await raw(main, "POST", "/agent/gateway/leads/broadcast", body)
      assert.strictEqual(refusedBody.status, 422, JSON.stringify(refusedBody.body))
    }
  })
})

describe("the OpenAPI document", () => {
  it("describes the SOUL read's answer as a JSON string", () => {
    const document = openApiDocument() as unknown as {
      readonly paths: Record<string, Record<string, { readonly responses: Record<string, any> }>>
    }
    const get = document.paths["/api/v1/agent/boards/{board_id}/agents/{agent_id}/soul"]!["get"]!
    assert.deepStrictEqual(get.responses["200"].content["application/json"].schema, { type: "string" })
  })
})
