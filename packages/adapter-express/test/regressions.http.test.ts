// Regressions from an adversarial run against the example server, over HTTP on Postgres with the gateway simulator:
// secrets in responses, heartbeats across organizations, tokens after a failed update, retried creates, and input
// the database cannot hold or the server cannot format.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { gatewayMainSessionKey } from "@mission-control/core"
import {
  apiPrefix,
  ConflictResponse,
  GatewayFailureResponse,
  openApiDocument,
  probePaths
} from "@mission-control/core/http"
import { Fixtures } from "@mission-control/core/testing"
import { Redacted } from "effect"
import express from "express"
import { failureOf, outcomeOf, run, startApi, tokenOnGateway, tokensOnGateway } from "./harness.js"

type Api = Awaited<ReturnType<typeof startApi>>
let api: Api

beforeAll(async () => {
  api = await startApi(express as never)
}, 120_000)
afterAll(async () => {
  await api.stop()
  await closeSharedTestDatabase()
})

const fixtureAgent = (fields: { readonly name: string; readonly isBoardLead?: boolean }) =>
  api.runtime.runPromise(
    Fixtures.agent({ gatewayId: api.world.gateway.id, boardId: api.world.board.id, ...fields })
  )

/** The simulator failing every `method` call, non-retryably, for as long as `body` runs. */
const withGatewayFailing = async <A>(method: string, body: () => Promise<A>): Promise<A> => {
  api.simulator.configure({
    faults: [{ method, kind: "error", code: "INVALID_REQUEST", message: "simulated refusal", retryable: false }]
  })
  try {
    return await body()
  } finally {
    api.simulator.configure({ faults: [] })
  }
}

/** What is stored, as the owner sees it: every agent and gateway with the fields a write would change. */
const stored = async () => {
  const owner = api.clientAs({ user: api.world.owner })
  const agents = await run(owner.agents.list({ query: { limit: 200 } }))
  const gateways = await run(owner.gateways.list({ query: { limit: 200 } }))
  return JSON.stringify({
    agents: agents.items.map((agent) => [
      agent.id,
      agent.name,
      agent.last_seen_at,
      agent.updated_at,
      agent.heartbeat_config,
      agent.identity_profile,
      agent.soul_template
    ]),
    gateways: gateways.items.map((gateway) => [gateway.id, gateway.updated_at])
  })
}

// The walk reads every answer's bytes (a secret anywhere in them is a leak), so it sends raw requests; the setup and
// the checks around it use the typed client.
describe("no response carries a secret", () => {
  it(
    "walking every route as the owner and as an agent: no gateway token, no agent token but a caller's own",
    async () => {
      const { call, simulator, world } = api
      const owner = api.clientAs({ user: world.owner })
      const lead = await fixtureAgent({ name: "Walk Lead", isBoardLead: true })
      const worker = await fixtureAgent({ name: "Walk Worker" })
      const scout = await run(owner.agents.create({ payload: { board_id: world.board.id, name: "Scout" } }))

      // Every token there is: the gateways', the seeded agents', and every one provisioning ever wrote to the gateway
      // (collected after each call: rotations replace them).
      const secrets = new Set<string>([simulator.token!, lead.token, worker.token])
      for (const gateway of [world.gateway, world.other.gateway]) {
        if (gateway.token !== null) secrets.add(Redacted.value(gateway.token))
      }
      const responses: Array<{ readonly route: string; readonly text: string; readonly own: ReadonlySet<string> }> = []
      const exercised = new Set<string>()

      type Credentials = { readonly user: typeof world.owner } | { readonly agentToken: string }
      const send = async (
        credentials: Credentials,
        method: string,
        template: string,
        path: string,
        options: {
          readonly body?: unknown
          readonly stream?: boolean
          readonly createsOrRotates?: boolean
          /** A probe, served at the root rather than under the API's prefix. */
          readonly root?: boolean
        } = {}
      ) => {
        exercised.add(`${method} ${template}`)
        const headers: Record<string, string> = "user" in credentials
          ? { authorization: `Bearer ${api.tokenFor(credentials.user)}` }
          : { "x-agent-token": credentials.agentToken }
        if (options.body !== undefined) headers["content-type"] = "application/json"
        if (options.stream === true) headers["accept"] = "text/event-stream"
        const abort = new AbortController()
        const response = await fetch(`${options.root === true ? api.origin : api.base}${path}`, {
          method,
          headers,
          signal: abort.signal,
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {})
        })
        let text = ""
        if (template === "/agents/stream" && response.headers.get("content-type") === "text/event-stream") {
          // An open stream: read it while an agent heartbeats, until its event arrives, then leave.
          const reader = response.body!.getReader()
          const decoder = new TextDecoder()
          await run(api.clientAs({ agentToken: worker.token }).agent.heartbeat({ payload: { name: "Walk Worker" } }))
          const until = Date.now() + 3_000
          while (!text.includes("event: agent") && Date.now() < until) {
            const { done, value } = await reader.read()
            if (done) break
            text += decoder.decode(value)
          }
          abort.abort()
          assert.include(text, "event: agent")
        } else {
          text = await response.text()
        }
        for (const token of tokensOnGateway(simulator)) secrets.add(token)
        // A create or rotation may hand its caller the new agent's token; nobody else's.
        const own = new Set<string>()
        if (options.createsOrRotates === true && response.status === 200) {
          const token = tokenOnGateway(simulator, JSON.parse(text))
          if (token !== undefined) own.add(token)
        }
        responses.push({ route: `${method} ${path}`, text, own })
        return { status: response.status, text }
      }

      const walk = async (credentials: Credentials, label: string) => {
        const board = world.board.id
        const gateway = world.gateway.id
        const agentId = scout.id
        const page = "?limit=200"
        await send(credentials, "GET", "/openapi.json", "/openapi.json")
        await send(credentials, "GET", "/agents", `/agents${page}`)
        await send(credentials, "GET", "/agents/stream", "/agents/stream")
        await send(credentials, "POST", "/agents", "/agents", {
          body: { board_id: board, name: `Created by ${label}` },
          createsOrRotates: true
        })
        await send(credentials, "POST", "/agents/heartbeat", "/agents/heartbeat", {
          body: { board_id: board, name: `Beating ${label}` },
          createsOrRotates: true
        })
        await send(credentials, "GET", "/agents/{agent_id}", `/agents/${agentId}`)
        await send(credentials, "PATCH", "/agents/{agent_id}", `/agents/${agentId}?force=true`, {
          body: { identity_template: `Patched by ${label}` },
          createsOrRotates: true
        })
        await send(credentials, "POST", "/agents/{agent_id}/heartbeat", `/agents/${agentId}/heartbeat`, { body: {} })
        await send(credentials, "GET", "/agent/healthz", "/agent/healthz")
        await send(credentials, "GET", "/agent/agents", `/agent/agents${page}`)
        await send(credentials, "POST", "/agent/agents", "/agent/agents", {
          body: { name: `Helper of ${label}` },
          createsOrRotates: true
        })
        await send(credentials, "POST", "/agent/heartbeat", "/agent/heartbeat", { body: { name: "Walk Lead" } })
        await send(credentials, "POST", "/boards/{board_id}/lead", `/boards/${board}/lead`, {
          body: {},
          createsOrRotates: true
        })
        await send(credentials, "GET", "/gateways", `/gateways${page}`)
        await send(credentials, "GET", "/gateways/{gateway_id}", `/gateways/${gateway}`)
        await send(credentials, "PATCH", "/gateways/{gateway_id}", `/gateways/${gateway}`, {
          body: { name: "Acme Gateway" }
        })
        await send(credentials, "POST", "/gateways/{gateway_id}/templates/sync", `/gateways/${gateway}/templates/sync`)
        await send(
          credentials,
          "POST",
          "/gateways/{gateway_id}/templates/sync",
          `/gateways/${gateway}/templates/sync?rotate_tokens=true`,
          { stream: true }
        )
        await send(credentials, "GET", "/boards", `/boards${page}`)
        await send(credentials, "POST", "/boards", "/boards", {
          body: { name: `Board by ${label}`, slug: `board-by-${label}`, description: "walked", gateway_id: gateway }
        })
        await send(credentials, "GET", "/boards/{board_id}", `/boards/${board}`)
        await send(credentials, "PATCH", "/boards/{board_id}", `/boards/${board}`, {
          body: { objective: `walked by ${label}` }
        })
        await send(credentials, "GET", "/boards/{board_id}/memory", `/boards/${board}/memory`)
        await send(credentials, "POST", "/boards/{board_id}/memory", `/boards/${board}/memory`, {
          body: { content: `chat of ${label}`, tags: ["chat"] }
        })
        await send(credentials, "GET", "/agent/boards", `/agent/boards${page}`)
        await send(credentials, "GET", "/agent/boards/{board_id}", `/agent/boards/${board}`)
        await send(credentials, "GET", "/agent/boards/{board_id}/memory", `/agent/boards/${board}/memory`)
        await send(credentials, "POST", "/agent/boards/{board_id}/memory", `/agent/boards/${board}/memory`, {
          body: { content: `note of ${label}` }
        })
        const boardQuery = `?board_id=${board}`
        const session = encodeURIComponent(gatewayMainSessionKey(gateway))
        await send(credentials, "GET", "/gateways/status", `/gateways/status${boardQuery}`)
        await send(
          credentials,
          "GET",
          "/gateways/status",
          `/gateways/status?gateway_url=${encodeURIComponent(simulator.url)}`
        )
        await send(credentials, "GET", "/gateways/sessions", `/gateways/sessions${boardQuery}`)
        await send(credentials, "GET", "/gateways/sessions/{session_id}", `/gateways/sessions/${session}${boardQuery}`)
        await send(
          credentials,
          "GET",
          "/gateways/sessions/{session_id}/history",
          `/gateways/sessions/${session}/history${boardQuery}`
        )
        await send(
          credentials,
          "POST",
          "/gateways/sessions/{session_id}/message",
          `/gateways/sessions/${session}/message${boardQuery}`,
          { body: { content: `hello from ${label}` } }
        )
        await send(credentials, "GET", "/gateways/commands", "/gateways/commands")
        const scoutPath = `/agent/boards/${board}/agents/${agentId}`
        await send(credentials, "POST", "/agent/boards/{board_id}/agents/{agent_id}/nudge", `${scoutPath}/nudge`, {
          body: { message: `nudged by ${label}` }
        })
        await send(credentials, "GET", "/agent/boards/{board_id}/agents/{agent_id}/soul", `${scoutPath}/soul`)
        await send(credentials, "PUT", "/agent/boards/{board_id}/agents/{agent_id}/soul", `${scoutPath}/soul`, {
          body: { content: `# Soul by ${label}\n` }
        })
        await send(
          credentials,
          "POST",
          "/agent/boards/{board_id}/gateway/main/ask-user",
          `/agent/boards/${board}/gateway/main/ask-user`,
          { body: { content: `asked by ${label}` } }
        )
        await send(
          credentials,
          "POST",
          "/agent/gateway/boards/{board_id}/lead/message",
          `/agent/gateway/boards/${board}/lead/message`,
          { body: { content: `told by ${label}` } }
        )
        await send(credentials, "POST", "/agent/gateway/leads/broadcast", "/agent/gateway/leads/broadcast", {
          body: { content: `broadcast by ${label}` }
        })
        for (const probe of Object.values(probePaths)) await send(credentials, "GET", probe, probe, { root: true })
        await send(credentials, "GET", "/gateways/{gateway_id}/reconcile", `/gateways/${gateway}/reconcile`)
        await send(credentials, "POST", "/gateways/{gateway_id}/reconcile", `/gateways/${gateway}/reconcile`, {
          createsOrRotates: true
        })
        await send(credentials, "GET", "/gateways/{gateway_id}/discover-agents", `/gateways/${gateway}/discover-agents`)
        const orphan = `mc-00000000-0000-4000-8000-${label === "owner" ? "0000000000a1" : "0000000000a2"}`
        simulator.putAgent(orphan, `/srv/openclaw/workspace-${orphan}`)
        // A board of its own: the seeded board has no room for another worker (`max_agents`).
        const adoptive = await api.runtime.runPromise(
          Fixtures.board(world.organization.id, gateway, { name: `Adoptive of ${label}`, slug: `adoptive-${label}` })
        )
        const linked = await send(credentials, "POST", "/agents/link", "/agents/link", {
          body: { gateway_agent_id: orphan, board_id: adoptive.id, name: `Adopted by ${label}` },
          createsOrRotates: true
        })
        assert.strictEqual(linked.status, "user" in credentials ? 200 : 401, linked.text)
        // Deletions last, of things made for them.
        const spareBoard = await api.runtime.runPromise(
          Fixtures.board(world.organization.id, null, { name: `Spare of ${label}`, slug: `spare-of-${label}` })
        )
        await send(credentials, "DELETE", "/boards/{board_id}", `/boards/${spareBoard.id}`)
        const created = await run(owner.gateways.create({
          payload: { name: `Spare ${label}`, url: simulator.url, workspace_root: "/srv/spare", token: simulator.token! }
        }))
        await send(credentials, "POST", "/gateways", "/gateways", {
          body: { name: `Gateway by ${label}`, url: simulator.url, workspace_root: "/srv/x", token: simulator.token }
        })
        await send(credentials, "DELETE", "/gateways/{gateway_id}", `/gateways/${created.id}`)
        const doomed = await fixtureAgent({ name: `Doomed by ${label}` })
        await send(credentials, "DELETE", "/agents/{agent_id}", `/agents/${doomed.agent.id}`)
        const unlinked = await fixtureAgent({ name: `Unlinked by ${label}` })
        await send(credentials, "POST", "/agents/{agent_id}/unlink", `/agents/${unlinked.agent.id}/unlink`)
        const removed = await fixtureAgent({ name: `Removed by ${label}` })
        await send(
          credentials,
          "DELETE",
          "/agent/boards/{board_id}/agents/{agent_id}",
          `/agent/boards/${board}/agents/${removed.agent.id}`
        )
      }
      // The agent first: the owner's walk rotates every token, the lead's too.
      await walk({ agentToken: lead.token }, "lead")
      await walk({ user: world.owner }, "owner")

      // Every route the API documents was called (the walk's paths are relative to the prefix).
      const documented = Object.entries(openApiDocument().paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) =>
          `${method.toUpperCase()} ${path.startsWith(apiPrefix) ? path.slice(apiPrefix.length) : path}`
        )
      )
      assert.isAtLeast(documented.length, 18)
      assert.includeMembers([...exercised], documented)
      assert.isAbove(tokensOnGateway(simulator).size, 3)

      const leaks = responses.flatMap(({ own, route, text }) =>
        [...secrets].filter((secret) => text.includes(secret) && !own.has(secret)).map((secret) =>
          `${route} shows ${secret.slice(0, 6)}…`
        )
      )
      assert.deepStrictEqual(leaks, [])

      // The answer's own keys (the typed client would drop an unknown one): a raw request.
      const gateways = await call("GET", "/gateways", { user: world.owner })
      for (const gateway of gateways.body.items) {
        assert.notProperty(gateway, "token")
        assert.isBoolean(gateway.has_token)
      }
      assert.isTrue(gateways.body.items.find((gateway: { id: string }) => gateway.id === world.gateway.id).has_token)
    },
    120_000
  )
})

describe("heartbeat by name stays in the caller's organization", () => {
  it("another organization's agent of that name is not found, and answers as a name that exists nowhere", async () => {
    const { world } = api
    const owner = api.clientAs({ user: world.owner })
    const otherAdmin = api.clientAs({ user: world.other.admin })
    const theirs = await api.runtime.runPromise(Fixtures.agent({
      gatewayId: world.other.gateway.id,
      boardId: world.other.board.id,
      name: "Globex Scout",
      status: "theirs"
    }))
    const before = await stored()
    const theirsBefore = await run(otherAdmin.agents.get({ params: { agent_id: theirs.agent.id } }))

    const other = await outcomeOf(owner.agents.heartbeatOrCreate({ payload: { name: "Globex Scout" } }))
    const nowhere = await outcomeOf(owner.agents.heartbeatOrCreate({ payload: { name: "Nobody Anywhere" } }))
    assert.strictEqual(other._tag, "Failure")
    assert.strictEqual(nowhere._tag, "Failure")
    if (other._tag === "Failure" && nowhere._tag === "Failure") {
      // The same error body (class and detail) as for a name that exists nowhere.
      assert.strictEqual(other.failure.constructor, nowhere.failure.constructor)
      assert.strictEqual(
        "detail" in other.failure ? other.failure.detail : undefined,
        "detail" in nowhere.failure ? nowhere.failure.detail : undefined
      )
      assert.notInclude(JSON.stringify(other.failure), theirs.agent.id)
    }
    // Not touched, and nothing made in the caller's organization either.
    const theirsAfter = await run(otherAdmin.agents.get({ params: { agent_id: theirs.agent.id } }))
    assert.deepStrictEqual(theirsAfter, theirsBefore)
    assert.strictEqual(await stored(), before)

    // With an agent of that name in its own organization, the caller's is the one found.
    const ours = await fixtureAgent({ name: "Globex Scout" })
    const found = await run(owner.agents.heartbeatOrCreate({ payload: { name: "Globex Scout", status: "ours" } }))
    assert.deepStrictEqual([found.id, found.status], [ours.agent.id, "ours"])
    const untouched = await run(otherAdmin.agents.get({ params: { agent_id: theirs.agent.id } }))
    assert.deepStrictEqual(
      [untouched.status, untouched.last_seen_at],
      [theirsBefore.status, theirsBefore.last_seen_at]
    )
  })
})

describe("gateway failures", () => {
  it("a failed update answers 502 and the agent's old token still authenticates", async () => {
    const { simulator, world } = api
    const owner = api.clientAs({ user: world.owner })
    const created = await run(owner.agents.create({ payload: { board_id: world.board.id, name: "Patchy" } }))
    const token = tokenOnGateway(simulator, created)
    assert.isString(token)
    const asAgent = api.clientAs({ agentToken: token! })
    const id = created.id
    await run(asAgent.agents.heartbeat({ params: { agent_id: id }, payload: {} }))

    const failed = await withGatewayFailing(
      "agents.files.set",
      () =>
        failureOf(
          owner.agents.update({ params: { agent_id: id }, query: {}, payload: { identity_template: "Changed" } }),
          GatewayFailureResponse
        )
    )
    assert.isString(failed.detail)

    const beat = await run(asAgent.agents.heartbeat({ params: { agent_id: id }, payload: { status: "still me" } }))
    assert.strictEqual(beat.status, "still me")
    assert.strictEqual((await run(asAgent.agent.heartbeat({ payload: { name: "Patchy" } }))).id, id)
  })

  it("a create that failed with 502 can be retried with the same name, and then succeeds", async () => {
    const { world } = api
    const owner = api.clientAs({ user: world.owner })
    const payload = { board_id: world.board.id, name: "Retry Me" }
    await withGatewayFailing(
      "agents.files.set",
      () => failureOf(owner.agents.create({ payload }), GatewayFailureResponse)
    )

    const retried = await run(owner.agents.create({ payload }))
    assert.strictEqual(retried.name, "Retry Me")
    const listed = await run(owner.agents.list({ query: { board_id: world.board.id, limit: 200 } }))
    assert.deepStrictEqual(
      listed.items.filter((agent) => agent.name === "Retry Me").map((agent) => agent.id),
      [retried.id]
    )
    // A second retry is a duplicate again.
    await failureOf(owner.agents.create({ payload }), ConflictResponse)
  })
})

describe("input the database cannot hold or the server cannot format: 422 at its field, nothing stored", () => {
  const nul = "a\u0000b"
  /** The object `{"a": {"a": … 1}}` nested `depth` levels deep, as JSON text (built without recursion). */
  const nested = (depth: number) => `${"{\"a\":".repeat(depth - 1)}{}${"}".repeat(depth - 1)}`

  let workerToken = ""
  let workerId = ""
  beforeAll(async () => {
    const worker = await fixtureAgent({ name: "Validated" })
    workerToken = worker.token
    workerId = worker.agent.id
  })

  const cases: ReadonlyArray<{
    readonly name: string
    readonly request: () => {
      readonly method: string
      readonly path: string
      readonly raw: string
      readonly agent?: true
    }
    readonly loc: ReadonlyArray<string>
    readonly type: string
    readonly msg?: string
    /** The entry's `input`: what the request sent at the field (FastAPI echoes it). */
    readonly input?: unknown
  }> = [
    {
      name: "NUL in an agent's name",
      request: () => ({
        method: "POST",
        path: "/agents",
        raw: JSON.stringify({ board_id: api.world.board.id, name: nul })
      }),
      loc: ["body", "name"],
      type: "string_nul_character",
      msg: "Input should not contain NUL characters",
      input: nul
    },
    {
      name: "NUL in identity_profile",
      request: () => ({
        method: "POST",
        path: "/agents",
        raw: JSON.stringify({ board_id: api.world.board.id, name: "Fine", identity_profile: { role: nul } })
      }),
      loc: ["body", "identity_profile"],
      type: "json_limits",
      input: { role: nul }
    },
    {
      name: "NUL in soul_template",
      request: () => ({
        method: "POST",
        path: "/agents",
        raw: JSON.stringify({ board_id: api.world.board.id, name: "Fine", soul_template: nul })
      }),
      loc: ["body", "soul_template"],
      type: "string_nul_character",
      input: nul
    },
    {
      name: "NUL in a heartbeat's status (by id)",
      request: () => ({ method: "POST", path: `/agents/${workerId}/heartbeat`, raw: JSON.stringify({ status: nul }) }),
      loc: ["body", "status"],
      type: "string_nul_character",
      input: nul
    },
    {
      name: "NUL in a heartbeat's status (by name)",
      request: () => ({
        method: "POST",
        path: "/agents/heartbeat",
        raw: JSON.stringify({ name: "Validated", status: nul })
      }),
      loc: ["body", "status"],
      type: "string_nul_character",
      input: nul
    },
    {
      name: "NUL in an agent's own heartbeat status",
      request: () => ({
        method: "POST",
        path: "/agent/heartbeat",
        raw: JSON.stringify({ name: "Validated", status: nul }),
        agent: true
      }),
      loc: ["body", "status"],
      type: "string_nul_character",
      input: nul
    },
    {
      name: "NUL in a gateway's name",
      request: () => ({
        method: "POST",
        path: "/gateways",
        raw: JSON.stringify({ name: nul, url: api.simulator.url, workspace_root: "/srv/nul" })
      }),
      loc: ["body", "name"],
      type: "string_nul_character",
      input: nul
    },
    {
      name: "a 3,000-character name",
      request: () => ({
        method: "POST",
        path: "/agents",
        raw: JSON.stringify({ board_id: api.world.board.id, name: "x".repeat(3000) })
      }),
      loc: ["body", "name"],
      type: "string_too_long",
      msg: "String should have at most 200 characters",
      input: "x".repeat(3000)
    },
    {
      name: "a body nested 3,000 deep",
      request: () => ({ method: "POST", path: "/agents", raw: `${"[".repeat(3000)}${"]".repeat(3000)}` }),
      loc: ["body"],
      type: "json_limits",
      msg: "JSON should be nested at most 64 levels deep"
    },
    ...[5000, 1000, 20].map((depth) => ({
      name: `heartbeat_config nested ${depth} deep`,
      request: () => ({
        method: "POST",
        path: "/agents",
        raw: `{"board_id":"${api.world.board.id}","name":"Deep","heartbeat_config":${nested(depth)}}`
      }),
      loc: ["body", "heartbeat_config"],
      type: "json_limits"
    }))
  ]

  for (const testCase of cases) {
    it(testCase.name, async () => {
      const { agent, method, path, raw } = testCase.request()
      // An agent's authenticated request refreshes its presence when it is 30 s old, refused or not: a heartbeat makes
      // it fresh first, so that the refused request has nothing to refresh.
      if (agent === true) {
        await run(api.clientAs({ agentToken: workerToken }).agent.heartbeat({ payload: { name: "x" } }))
      }
      const before = await stored()
      const response = await api.call(method, path, {
        raw,
        ...(agent === true ? { agentToken: workerToken } : { user: api.world.owner })
      })
      assert.strictEqual(response.status, 422, JSON.stringify(response.body).slice(0, 300))
      const entry = response.body.detail.find((issue: { loc: Array<string> }) =>
        JSON.stringify(issue.loc) === JSON.stringify(testCase.loc)
      )
      assert.isDefined(entry, JSON.stringify(response.body.detail))
      assert.strictEqual(entry.type, testCase.type)
      assert.isString(entry.msg)
      if (testCase.msg !== undefined) assert.strictEqual(entry.msg, testCase.msg)
      if ("input" in testCase) assert.deepStrictEqual(entry.input, testCase.input)
      // The answer echoes at most what was sent (the inputs at the failing fields), never more: bounded by the
      // request's size plus a small constant.
      assert.isAtMost(JSON.stringify(response.body).length, raw.length + 500)
      assert.strictEqual(await stored(), before)
    })
  }
})
