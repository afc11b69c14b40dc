import { afterAll, afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { Fixtures } from "@mission-control/core/testing"
import express5 from "express"
import express4 from "express4"
import { startApi, subscriptionCounter } from "./harness.js"

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
      const created = await call("POST", "/agents", {
        user: world.owner,
        body: { board_id: world.board.id, name: "Scout" }
      })
      assert.strictEqual(created.status, 200)
      assert.strictEqual(created.body.status, "provisioning")
      assert.strictEqual(created.body.openclaw_session_id, `agent:mc-${created.body.id}:main`)
      assert.isString(created.headers.get("x-request-id"))
      const id = created.body.id as string

      const duplicate = await call("POST", "/agents", {
        user: world.owner,
        body: { board_id: world.board.id, name: "scout" }
      })
      assert.deepStrictEqual([duplicate.status, duplicate.body.detail], [
        409,
        "An agent with this name already exists on this board."
      ])
      assert.isString(duplicate.body.request_id)

      const listed = await call("GET", `/agents?board_id=${world.board.id}&limit=10`, { user: world.owner })
      assert.strictEqual(listed.status, 200)
      assert.deepStrictEqual([listed.body.total, listed.body.limit, listed.body.offset], [1, 10, 0])

      assert.strictEqual((await call("GET", `/agents/${id}`, { user: world.owner })).body.name, "Scout")
      assert.strictEqual((await call("GET", `/agents/${id.toUpperCase()}`, { user: world.owner })).status, 200)
      const malformed = await call("GET", "/agents/not-a-uuid", { user: world.owner })
      assert.deepStrictEqual([malformed.status, malformed.body.detail], [404, "Not Found"])
      assert.strictEqual((await call("GET", `/agents/${crypto.randomUUID()}`, { user: world.owner })).status, 404)

      const status = await call("PATCH", `/agents/${id}`, { user: world.owner, body: { status: "online" } })
      assert.deepStrictEqual([status.status, status.body.detail], [403, "status is controlled by agent heartbeat"])
      const nullName = await call("PATCH", `/agents/${id}`, { user: world.owner, body: { name: null } })
      assert.strictEqual(nullName.status, 422)
      const renamed = await call("PATCH", `/agents/${id}?force=yes`, { user: world.owner, body: { name: "Scout 2" } })
      assert.deepStrictEqual([renamed.status, renamed.body.name], [200, "Scout 2"])
      const badFlag = await call("PATCH", `/agents/${id}?force=maybe`, { user: world.owner, body: {} })
      assert.deepStrictEqual([badFlag.status, badFlag.body.detail[0].loc], [422, ["query", "force"]])

      const beat = await call("POST", `/agents/${id}/heartbeat`, { user: world.owner, body: { status: "busy" } })
      assert.deepStrictEqual([beat.status, beat.body.status], [200, "busy"])
      const byName = await call("POST", "/agents/heartbeat", {
        user: world.owner,
        body: { name: "Scout 2", board_id: world.board.id }
      })
      assert.strictEqual(byName.body.id, id)

      assert.deepStrictEqual((await call("DELETE", `/agents/${id}`, { user: world.owner })).body, { ok: true })
      assert.deepStrictEqual((await call("DELETE", `/agents/${id}`, { user: world.owner })).body, { ok: true })
    })

    it("authentication and authorization", async () => {
      const { call, world } = api
      assert.deepStrictEqual((await call("GET", "/agents")).status, 401)
      assert.deepStrictEqual((await call("GET", "/agents")).body.detail, "Unauthorized")
      assert.strictEqual((await call("GET", "/agents", { user: world.reader })).status, 403)
      assert.strictEqual((await call("GET", "/agents", { agentToken: "forged" })).status, 401)
      assert.strictEqual((await call("POST", "/agents", { agentToken: "forged", body: { name: "x" } })).status, 401)
      const { agent, token } = await api.runtime.runPromise(
        Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      )
      assert.strictEqual(
        (await call("POST", `/agents/${agent.id}/heartbeat`, { agentToken: token, body: {} })).status,
        200
      )
      assert.strictEqual(
        (await call("POST", `/agents/${agent.id}/heartbeat`, { agentToken: token.slice(0, -1), body: {} })).status,
        401
      )
      const { agent: other } = await api.runtime.runPromise(
        Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      )
      assert.strictEqual(
        (await call("POST", `/agents/${other.id}/heartbeat`, { agentToken: token, body: {} })).status,
        403
      )
      assert.strictEqual((await call("GET", `/agents/${agent.id}`, { user: world.other.admin })).status, 404)
      assert.strictEqual((await call("DELETE", `/agents/${agent.id}`, { user: world.writer })).status, 403)
      assert.strictEqual((await call("GET", "/gateways", { user: world.reader })).status, 403)
    })

    it("agent-token routes: list, heartbeat, lead creates and deletes", async () => {
      const { call, world } = api
      const lead = await call("POST", `/boards/${world.board.id}/lead`, { user: world.owner, body: {} })
      assert.deepStrictEqual([lead.status, lead.body.created], [200, true])
      const { agent: leadAgent, token: leadToken } = await api.runtime.runPromise(Fixtures.agent({
        gatewayId: world.gateway.id,
        boardId: world.other.board.id,
        isBoardLead: true
      }))
      void leadAgent
      const { agent: worker, token: workerToken } = await api.runtime.runPromise(
        Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      )
      const list = await call("GET", "/agent/agents", { agentToken: workerToken })
      assert.deepStrictEqual([list.status, list.body.total], [200, 2])
      assert.strictEqual(
        (await call("GET", `/agent/agents?board_id=${world.other.board.id}`, { agentToken: workerToken })).status,
        403
      )
      const bearer = await call("GET", "/agent/agents", { headers: { authorization: `Bearer ${workerToken}` } })
      assert.strictEqual(bearer.status, 200)
      const beat = await call("POST", "/agent/heartbeat", {
        agentToken: workerToken,
        body: { name: "ignored", status: "idle" }
      })
      assert.deepStrictEqual([beat.status, beat.body.status], [200, "idle"])
      assert.strictEqual((await call("POST", "/agent/heartbeat", { agentToken: workerToken, body: {} })).status, 422)
      const notLead = await call("POST", "/agent/agents", { agentToken: workerToken, body: { name: "Helper" } })
      assert.deepStrictEqual([notLead.status, notLead.body.detail], [403, "Only board leads can perform this action"])
      const otherLead = await call("DELETE", `/agent/boards/${world.board.id}/agents/${worker.id}`, {
        agentToken: leadToken
      })
      assert.strictEqual(otherLead.status, 403)
      const deletedByNonLead = await call("DELETE", `/agent/boards/${world.board.id}/agents/${worker.id}`, {
        agentToken: workerToken
      })
      assert.deepStrictEqual([deletedByNonLead.status, deletedByNonLead.body.detail], [
        403,
        "Only board leads can perform this action"
      ])
    })

    it("gateways: CRUD and template sync as JSON and as an event stream", async () => {
      const { call, world, simulator } = api
      const created = await call("POST", "/gateways", {
        user: world.owner,
        body: { name: "Edge", url: simulator.url, workspace_root: "/srv/edge", token: simulator.token }
      })
      assert.strictEqual(created.status, 200)
      const id = created.body.id as string
      assert.strictEqual((await call("GET", `/gateways/${id}`, { user: world.owner })).body.name, "Edge")
      assert.strictEqual((await call("GET", "/gateways?limit=1", { user: world.owner })).body.total, 2)
      assert.strictEqual(
        (await call("PATCH", `/gateways/${id}`, { user: world.owner, body: { name: "Edge 2" } })).body.name,
        "Edge 2"
      )
      assert.strictEqual(
        (await call("GET", `/gateways/${id}`, { user: world.other.admin })).body.detail,
        "Gateway not found"
      )
      assert.strictEqual((await call("POST", "/gateways", { user: world.owner, body: { name: "x" } })).status, 422)

      await call("POST", `/boards/${world.board.id}/lead`, { user: world.owner, body: {} })
      const sync = await call("POST", `/gateways/${world.gateway.id}/templates/sync?rotate_tokens=true`, {
        user: world.owner
      })
      assert.strictEqual(sync.status, 200)
      assert.deepStrictEqual([sync.body.agents_updated, sync.body.main_updated, sync.body.errors], [1, true, []])

      const streamed = await fetch(`${api.base}/gateways/${world.gateway.id}/templates/sync`, {
        method: "POST",
        headers: { authorization: `Bearer ${api.tokenFor(world.owner)}`, accept: "text/event-stream" }
      })
      assert.strictEqual(streamed.headers.get("content-type"), "text/event-stream")
      const text = await streamed.text()
      assert.include(text, "event: progress")
      assert.match(text, /event: result\r\ndata: \{"gateway_id"/)

      assert.deepStrictEqual((await call("DELETE", `/gateways/${id}`, { user: world.owner })).body, { ok: true })
      assert.strictEqual((await call("DELETE", `/gateways/${world.gateway.id}`, { user: world.owner })).status, 409)
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
      await api.call("POST", `/agents/${agent.id}/heartbeat`, { agentToken: token, body: { status: "first" } })
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

      await api.call("POST", `/agents/${agent.id}/heartbeat`, { agentToken: token, body: { status: "second" } })
      const resumed = await fetch(`${api.base}/agents/stream`, {
        headers: { authorization: `Bearer ${api.tokenFor(world.owner)}`, "last-event-id": String(first.id) }
      })
      const resumedReader = resumed.body!.getReader()
      let resumedText = ""
      while (!resumedText.includes("\r\n\r\n")) resumedText += decoder.decode((await resumedReader.read()).value)
      await resumedReader.cancel()
      assert.include(resumedText, "\"status\":\"second\"")
    })

    it("serves its OpenAPI document", async () => {
      const document = await api.call("GET", "/openapi.json")
      assert.strictEqual(document.body.openapi, "3.1.0")
      assert.includeMembers(Object.keys(document.body.paths), [
        "/agents",
        "/agents/stream",
        "/gateways/{gateway_id}/templates/sync"
      ])
      assert.deepStrictEqual(
        document.body.paths["/agents"].post.requestBody.content["application/json"].schema.required,
        ["name"]
      )
    })
  })
}
