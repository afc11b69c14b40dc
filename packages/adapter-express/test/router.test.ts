import { afterAll, afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { GatewayId } from "@mission-control/core"
import {
  ConflictResponse,
  ForbiddenResponse,
  NotFoundResponse,
  openApiDocument,
  UnauthorizedResponse
} from "@mission-control/core/http"
import { Fixtures } from "@mission-control/core/testing"
import express5 from "express"
import express4 from "express4"
import { failureOf, run, startApi, subscriptionCounter } from "./harness.js"

afterAll(closeSharedTestDatabase)

for (const [version, createApp] of [["Express 5", express5], ["Express 4", express4]] as const) {
  describe(`HTTP API on ${version}`, () => {
    let api: Awaited<ReturnType<typeof startApi>>
    beforeEach(async () => {
      api = await startApi(createApp as never)
    })
    afterEach(async () => {
      await api.stop()
    })

    it("agents: create, list, get, patch, heartbeat, delete, with the reference's statuses and bodies", async () => {
      const { call, world } = api
      const owner = api.clientAs({ user: world.owner })
      const [created, createdResponse] = await run(owner.agents.create({
        payload: { board_id: world.board.id, name: "Scout" },
        responseMode: "decoded-and-response"
      }))
      assert.strictEqual(createdResponse.status, 200)
      assert.strictEqual(created.status, "provisioning")
      assert.strictEqual(created.openclaw_session_id, `agent:mc-${created.id}:main`)
      assert.isString(createdResponse.headers["x-request-id"])
      const id = created.id

      const duplicate = await failureOf(
        owner.agents.create({ payload: { board_id: world.board.id, name: "scout" } }),
        ConflictResponse
      )
      assert.strictEqual(duplicate.detail, "An agent with this name already exists on this board.")
      assert.isString(duplicate.request_id)

      const listed = await run(owner.agents.list({ query: { board_id: world.board.id, limit: 10 } }))
      assert.deepStrictEqual([listed.total, listed.limit, listed.offset], [1, 10, 0])

      assert.strictEqual((await run(owner.agents.get({ params: { agent_id: id } }))).name, "Scout")
      assert.strictEqual((await run(owner.agents.get({ params: { agent_id: id.toUpperCase() } }))).id, id)
      const malformed = await failureOf(owner.agents.get({ params: { agent_id: "not-a-uuid" } }), NotFoundResponse)
      assert.strictEqual(malformed.detail, "Not Found")
      await failureOf(owner.agents.get({ params: { agent_id: crypto.randomUUID() } }), NotFoundResponse)

      const status = await failureOf(
        owner.agents.update({ params: { agent_id: id }, query: {}, payload: { status: "online" } }),
        ForbiddenResponse
      )
      assert.strictEqual(status.detail, "status is controlled by agent heartbeat")
      // Bad input, which the typed client would refuse to send: raw requests.
      const nullName = await call("PATCH", `/agents/${id}`, { user: world.owner, body: { name: null } })
      assert.strictEqual(nullName.status, 422)
      // `yes` is one of the reference's spellings of true (the typed client sends `true`).
      const renamed = await call("PATCH", `/agents/${id}?force=yes`, { user: world.owner, body: { name: "Scout 2" } })
      assert.deepStrictEqual([renamed.status, renamed.body.name], [200, "Scout 2"])
      const badFlag = await call("PATCH", `/agents/${id}?force=maybe`, { user: world.owner, body: {} })
      assert.deepStrictEqual([badFlag.status, badFlag.body.detail[0].loc], [422, ["query", "force"]])

      const beat = await run(owner.agents.heartbeat({ params: { agent_id: id }, payload: { status: "busy" } }))
      assert.strictEqual(beat.status, "busy")
      const byName = await run(
        owner.agents.heartbeatOrCreate({ payload: { name: "Scout 2", board_id: world.board.id } })
      )
      assert.strictEqual(byName.id, id)

      assert.deepStrictEqual(await run(owner.agents.delete({ params: { agent_id: id } })), { ok: true })
      assert.deepStrictEqual(await run(owner.agents.delete({ params: { agent_id: id } })), { ok: true })
    })

    it("authentication and authorization", async () => {
      const { world } = api
      const nobody = api.clientAs()
      const unauthorized = await failureOf(nobody.agents.list({ query: {} }), UnauthorizedResponse)
      assert.strictEqual(unauthorized.detail, "Unauthorized")
      await failureOf(api.clientAs({ user: world.reader }).agents.list({ query: {} }), ForbiddenResponse)
      const forged = api.clientAs({ agentToken: "forged" })
      await failureOf(forged.agents.list({ query: {} }), UnauthorizedResponse)
      await failureOf(forged.agents.create({ payload: { name: "x" } }), UnauthorizedResponse)
      const { agent, token } = await api.runtime.runPromise(
        Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      )
      const beat = await run(
        api.clientAs({ agentToken: token }).agents.heartbeat({
          params: { agent_id: agent.id },
          payload: {}
        })
      )
      assert.strictEqual(beat.id, agent.id)
      await failureOf(
        api.clientAs({ agentToken: token.slice(0, -1) }).agents.heartbeat({
          params: { agent_id: agent.id },
          payload: {}
        }),
        UnauthorizedResponse
      )
      const { agent: other } = await api.runtime.runPromise(
        Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      )
      await failureOf(
        api.clientAs({ agentToken: token }).agents.heartbeat({ params: { agent_id: other.id }, payload: {} }),
        ForbiddenResponse
      )
      await failureOf(
        api.clientAs({ user: world.other.admin }).agents.get({ params: { agent_id: agent.id } }),
        NotFoundResponse
      )
      await failureOf(
        api.clientAs({ user: world.writer }).agents.delete({ params: { agent_id: agent.id } }),
        ForbiddenResponse
      )
      await failureOf(api.clientAs({ user: world.reader }).gateways.list({ query: {} }), ForbiddenResponse)
    })

    it("agent-token routes: list, heartbeat, lead creates and deletes", async () => {
      const { call, world } = api
      const lead = await run(
        api.clientAs({ user: world.owner }).boards.ensureLead({ params: { board_id: world.board.id }, payload: {} })
      )
      assert.isTrue(lead.created)
      const { token: leadToken } = await api.runtime.runPromise(Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: world.other.board.id,
        isBoardLead: true
      }))
      const { agent: worker, token: workerToken } = await api.runtime.runPromise(
        Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      )
      const asWorker = api.clientAs({ agentToken: workerToken })
      const list = await run(asWorker.agent.listAgents({ query: {} }))
      assert.strictEqual(list.total, 2)
      await failureOf(asWorker.agent.listAgents({ query: { board_id: world.other.board.id } }), ForbiddenResponse)
      const bearer = await run(api.clientAs({ bearer: workerToken }).agent.listAgents({ query: {} }))
      assert.strictEqual(bearer.total, 2)
      const beat = await run(asWorker.agent.heartbeat({ payload: { name: "ignored", status: "idle" } }))
      assert.strictEqual(beat.status, "idle")
      // A body without its required name, which the typed client would refuse to send.
      assert.strictEqual((await call("POST", "/agent/heartbeat", { agentToken: workerToken, body: {} })).status, 422)
      const notLead = await failureOf(asWorker.agent.createAgent({ payload: { name: "Helper" } }), ForbiddenResponse)
      assert.strictEqual(notLead.detail, "Only board leads can perform this action")
      await failureOf(
        api.clientAs({ agentToken: leadToken }).agent.deleteBoardAgent({
          params: { board_id: world.board.id, agent_id: worker.id }
        }),
        ForbiddenResponse
      )
      const deletedByNonLead = await failureOf(
        asWorker.agent.deleteBoardAgent({ params: { board_id: world.board.id, agent_id: worker.id } }),
        ForbiddenResponse
      )
      assert.strictEqual(deletedByNonLead.detail, "Only board leads can perform this action")
    })

    it("gateways: CRUD and template sync as JSON and as an event stream", async () => {
      const { call, world, simulator } = api
      const owner = api.clientAs({ user: world.owner })
      const created = await run(owner.gateways.create({
        payload: { name: "Edge", url: simulator.url, workspace_root: "/srv/edge", token: simulator.token! }
      }))
      // `GatewayRead.id` is a plain string; the path wants a `GatewayId`.
      const id = GatewayId.make(created.id)
      assert.strictEqual((await run(owner.gateways.get({ params: { gateway_id: id } }))).name, "Edge")
      assert.strictEqual((await run(owner.gateways.list({ query: { limit: 1 } }))).total, 2)
      assert.strictEqual(
        (await run(owner.gateways.update({ params: { gateway_id: id }, payload: { name: "Edge 2" } }))).name,
        "Edge 2"
      )
      const elsewhere = await failureOf(
        api.clientAs({ user: world.other.admin }).gateways.get({ params: { gateway_id: id } }),
        NotFoundResponse
      )
      assert.strictEqual(elsewhere.detail, "Gateway not found")
      // Required fields left out, which the typed client would refuse to send.
      assert.strictEqual((await call("POST", "/gateways", { user: world.owner, body: { name: "x" } })).status, 422)

      await run(owner.boards.ensureLead({ params: { board_id: world.board.id }, payload: {} }))
      const sync = await run(owner.gateways.syncTemplates({
        params: { gateway_id: world.gateway.id },
        query: { rotate_tokens: true },
        headers: {}
      }))
      assert.isTrue("agents_updated" in sync)
      if ("agents_updated" in sync) {
        assert.deepStrictEqual([sync.agents_updated, sync.main_updated, sync.errors], [1, true, []])
      }

      // The frames' bytes: a raw request.
      const streamed = await fetch(`${api.base}/gateways/${world.gateway.id}/templates/sync`, {
        method: "POST",
        headers: { authorization: `Bearer ${api.tokenFor(world.owner)}`, accept: "text/event-stream" }
      })
      assert.strictEqual(streamed.headers.get("content-type"), "text/event-stream")
      const text = await streamed.text()
      assert.include(text, "event: progress")
      assert.match(text, /event: result\r\ndata: \{"gateway_id"/)

      assert.deepStrictEqual(await run(owner.gateways.delete({ params: { gateway_id: id } })), { ok: true })
      await failureOf(owner.gateways.delete({ params: { gateway_id: world.gateway.id } }), ConflictResponse)
    })

    it("422 bodies for malformed JSON and wrong types, and nothing written", async () => {
      const { call, world } = api
      const malformed = await call("POST", "/agents", { user: world.owner, raw: "{not json" })
      assert.strictEqual(malformed.status, 422)
      assert.strictEqual(malformed.body.detail[0].type, "json_invalid")
      const wrong = await call("POST", "/agents", {
        user: world.owner,
        body: { board_id: 42, name: ["x"], heartbeat_config: "x" }
      })
      assert.strictEqual(wrong.status, 422)
      const locs = wrong.body.detail.map((issue: { loc: Array<string> }) => issue.loc.join("."))
      assert.includeMembers(locs, ["body.board_id", "body.name", "body.heartbeat_config"])
      assert.strictEqual((await call("GET", "/agents?limit=0", { user: world.owner })).status, 422)
      assert.strictEqual(
        (await call("GET", "/agents?limit=abc", { user: world.owner })).body.detail[0].loc.join("."),
        "query.limit"
      )
      assert.strictEqual((await call("GET", "/agents", { user: world.owner })).body.total, 0)
    })

    it("the stream pushes a heartbeat within 100 ms, resumes from Last-Event-ID, and frees itself on disconnect", async () => {
      const { world } = api
      const { agent, token } = await api.runtime.runPromise(
        Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      )
      const before = subscriptionCounter.open
      const abort = new AbortController()
      const response = await fetch(`${api.base}/agents/stream`, {
        headers: { authorization: `Bearer ${api.tokenFor(world.owner)}` },
        signal: abort.signal
      })
      assert.strictEqual(response.headers.get("content-type"), "text/event-stream")
      const reader = response.body!.getReader()
      const decoder = new TextDecoder()
      let buffer = ""
      const nextEvent = async () => {
        while (!/event: agent\r\nid: \d+\r\ndata: .*\r\n\r\n/.test(buffer)) {
          const { value, done } = await reader.read()
          if (done) throw new Error("stream ended")
          buffer += decoder.decode(value)
        }
        const match = /event: agent\r\nid: (\d+)\r\ndata: (.*)\r\n\r\n/.exec(buffer)!
        buffer = buffer.slice(match.index + match[0].length)
        return { id: Number(match[1]), data: JSON.parse(match[2]!) }
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
      assert.strictEqual(subscriptionCounter.open, before + 1)
      const asAgent = api.clientAs({ agentToken: token })
      await run(asAgent.agents.heartbeat({ params: { agent_id: agent.id }, payload: { status: "first" } }))
      // From the heartbeat's answer to the event on the open stream (the issue's bound; the stream is pushed).
      const answered = performance.now()
      const first = await nextEvent()
      assert.isBelow(performance.now() - answered, 100)
      assert.strictEqual(first.data.agent.status, "first")
      abort.abort()
      for (let attempt = 0; attempt < 50 && subscriptionCounter.open > before; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      assert.strictEqual(subscriptionCounter.open, before)

      await run(asAgent.agents.heartbeat({ params: { agent_id: agent.id }, payload: { status: "second" } }))
      const resumed = await fetch(`${api.base}/agents/stream`, {
        headers: { authorization: `Bearer ${api.tokenFor(world.owner)}`, "last-event-id": String(first.id) }
      })
      const resumedReader = resumed.body!.getReader()
      let resumedText = ""
      // Pings may come first (the first one at once); the resumed agent event follows.
      while (!/event: agent\r\n.*\r\n\r\n/s.test(resumedText)) {
        resumedText += decoder.decode((await resumedReader.read()).value)
      }
      await resumedReader.cancel()
      assert.include(resumedText, "\"status\":\"second\"")
    })

    it("serves its OpenAPI document: the one derived from the definition, paths under the prefix", async () => {
      const served = await fetch(`${api.base}/openapi.json`)
      assert.strictEqual(served.status, 200)
      const document = await served.json() as Record<string, unknown>
      const derived = openApiDocument()
      assert.deepStrictEqual(document, JSON.parse(JSON.stringify(derived)))
      assert.strictEqual(derived.openapi, "3.1.0")
      assert.includeMembers(Object.keys(derived.paths), [
        "/api/v1/agents",
        "/api/v1/agents/stream",
        "/api/v1/gateways/{gateway_id}/templates/sync"
      ])
      const body = derived.paths["/api/v1/agents"]?.post?.requestBody
      const schema = body !== undefined && "content" in body ? body.content["application/json"]?.schema : undefined
      assert.deepStrictEqual(schema !== undefined && "required" in schema ? schema.required : undefined, ["name"])
    })
  })
}
