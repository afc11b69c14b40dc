// Regressions from an adversarial run against the example server, over HTTP on Postgres with the gateway simulator:
// secrets in responses, heartbeats across organizations, tokens after a failed update, retried creates, and input
// the database cannot hold or the server cannot format.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { openApiDocument } from "@mission-control/adapter-express"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { Fixtures } from "@mission-control/core/testing"
import { Redacted } from "effect"
import express from "express"
import { startApi, tokenOnGateway, tokensOnGateway } from "./harness.js"

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
  const agents = await api.call("GET", "/agents?limit=200", { user: api.world.owner })
  const gateways = await api.call("GET", "/gateways?limit=200", { user: api.world.owner })
  return JSON.stringify({
    agents: agents.body.items.map((agent: Record<string, unknown>) => [
      agent["id"],
      agent["name"],
      agent["last_seen_at"],
      agent["updated_at"],
      agent["heartbeat_config"],
      agent["identity_profile"],
      agent["soul_template"]
    ]),
    gateways: gateways.body.items.map((gateway: Record<string, unknown>) => [gateway["id"], gateway["updated_at"]])
  })
}

describe("no response carries a secret", () => {
  it(
    "walking every route as the owner and as an agent: no gateway token, no agent token but a caller's own",
    async () => {
      const { call, simulator, world } = api
      const lead = await fixtureAgent({ name: "Walk Lead", isBoardLead: true })
      const worker = await fixtureAgent({ name: "Walk Worker" })
      const scout = await call("POST", "/agents", {
        user: world.owner,
        body: { board_id: world.board.id, name: "Scout" }
      })
      assert.strictEqual(scout.status, 200)

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
        options: { readonly body?: unknown; readonly stream?: boolean; readonly createsOrRotates?: boolean } = {}
      ) => {
        exercised.add(`${method} ${template}`)
        const headers: Record<string, string> = "user" in credentials
          ? { authorization: `Bearer ${api.tokenFor(credentials.user)}` }
          : { "x-agent-token": credentials.agentToken }
        if (options.body !== undefined) headers["content-type"] = "application/json"
        if (options.stream === true) headers["accept"] = "text/event-stream"
        const abort = new AbortController()
        const response = await fetch(`${api.base}${path}`, {
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
          await call("POST", "/agent/heartbeat", { agentToken: worker.token, body: { name: "Walk Worker" } })
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
        const agentId = scout.body.id as string
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
        // Deletions last, of things made for them.
        const created = await call("POST", "/gateways", {
          user: world.owner,
          body: { name: `Spare ${label}`, url: simulator.url, workspace_root: "/srv/spare", token: simulator.token }
        })
        await send(credentials, "POST", "/gateways", "/gateways", {
          body: { name: `Gateway by ${label}`, url: simulator.url, workspace_root: "/srv/x", token: simulator.token }
        })
        await send(credentials, "DELETE", "/gateways/{gateway_id}", `/gateways/${created.body.id}`)
        const doomed = await fixtureAgent({ name: `Doomed by ${label}` })
        await send(credentials, "DELETE", "/agents/{agent_id}", `/agents/${doomed.agent.id}`)
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

      // Every route the router documents was called.
      const documented = Object.entries(openApiDocument().paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)
      )
      assert.includeMembers([...exercised], documented)
      assert.isAbove(tokensOnGateway(simulator).size, 3)

      const leaks = responses.flatMap(({ own, route, text }) =>
        [...secrets].filter((secret) => text.includes(secret) && !own.has(secret)).map((secret) =>
          `${route} shows ${secret.slice(0, 6)}…`
        )
      )
      assert.deepStrictEqual(leaks, [])

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
    const { call, world } = api
    const theirs = await api.runtime.runPromise(Fixtures.agent({
      gatewayId: world.other.gateway.id,
      boardId: world.other.board.id,
      name: "Globex Scout",
      status: "theirs"
    }))
    const before = await stored()
    const theirsBefore = await call("GET", `/agents/${theirs.agent.id}`, { user: world.other.admin })

    const other = await call("POST", "/agents/heartbeat", { user: world.owner, body: { name: "Globex Scout" } })
    const nowhere = await call("POST", "/agents/heartbeat", { user: world.owner, body: { name: "Nobody Anywhere" } })
    assert.isAtLeast(other.status, 400)
    assert.deepStrictEqual([other.status, other.body.detail], [nowhere.status, nowhere.body.detail])
    assert.notInclude(JSON.stringify(other.body), theirs.agent.id)
    // Not touched, and nothing made in the caller's organization either.
    const theirsAfter = await call("GET", `/agents/${theirs.agent.id}`, { user: world.other.admin })
    assert.deepStrictEqual([theirsAfter.status, theirsAfter.body], [theirsBefore.status, theirsBefore.body])
    assert.strictEqual(await stored(), before)

    // With an agent of that name in its own organization, the caller's is the one found.
    const ours = await fixtureAgent({ name: "Globex Scout" })
    const found = await call("POST", "/agents/heartbeat", {
      user: world.owner,
      body: { name: "Globex Scout", status: "ours" }
    })
    assert.deepStrictEqual([found.status, found.body.id, found.body.status], [200, ours.agent.id, "ours"])
    const untouched = await call("GET", `/agents/${theirs.agent.id}`, { user: world.other.admin })
    assert.deepStrictEqual(
      [untouched.body.status, untouched.body.last_seen_at],
      [theirsBefore.body.status, theirsBefore.body.last_seen_at]
    )
  })
})

describe("gateway failures", () => {
  it("a failed update answers 502 and the agent's old token still authenticates", async () => {
    const { call, simulator, world } = api
    const created = await call("POST", "/agents", {
      user: world.owner,
      body: { board_id: world.board.id, name: "Patchy" }
    })
    assert.strictEqual(created.status, 200)
    const token = tokenOnGateway(simulator, created.body)
    assert.isString(token)
    const id = created.body.id as string
    assert.strictEqual((await call("POST", `/agents/${id}/heartbeat`, { agentToken: token!, body: {} })).status, 200)

    const failed = await withGatewayFailing(
      "agents.files.set",
      () => call("PATCH", `/agents/${id}`, { user: world.owner, body: { identity_template: "Changed" } })
    )
    assert.strictEqual(failed.status, 502)
    assert.isString(failed.body.detail)

    const beat = await call("POST", `/agents/${id}/heartbeat`, { agentToken: token!, body: { status: "still me" } })
    assert.deepStrictEqual([beat.status, beat.body.status], [200, "still me"])
    assert.strictEqual(
      (await call("POST", "/agent/heartbeat", { agentToken: token!, body: { name: "Patchy" } })).status,
      200
    )
  })

  it("a create that failed with 502 can be retried with the same name, and then succeeds", async () => {
    const { call, world } = api
    const body = { board_id: world.board.id, name: "Retry Me" }
    const failed = await withGatewayFailing(
      "agents.files.set",
      () => call("POST", "/agents", { user: world.owner, body })
    )
    assert.strictEqual(failed.status, 502)

    const retried = await call("POST", "/agents", { user: world.owner, body })
    assert.deepStrictEqual([retried.status, retried.body.name], [200, "Retry Me"])
    const listed = await call("GET", `/agents?board_id=${world.board.id}&limit=200`, { user: world.owner })
    assert.deepStrictEqual(
      listed.body.items.filter((agent: { name: string }) => agent.name === "Retry Me").map((agent: { id: string }) =>
        agent.id
      ),
      [retried.body.id]
    )
    // A second retry is a duplicate again.
    assert.strictEqual((await call("POST", "/agents", { user: world.owner, body })).status, 409)
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
      msg: "Input should not contain NUL characters"
    },
    {
      name: "NUL in identity_profile",
      request: () => ({
        method: "POST",
        path: "/agents",
        raw: JSON.stringify({ board_id: api.world.board.id, name: "Fine", identity_profile: { role: nul } })
      }),
      loc: ["body", "identity_profile"],
      type: "json_limits"
    },
    {
      name: "NUL in soul_template",
      request: () => ({
        method: "POST",
        path: "/agents",
        raw: JSON.stringify({ board_id: api.world.board.id, name: "Fine", soul_template: nul })
      }),
      loc: ["body", "soul_template"],
      type: "string_nul_character"
    },
    {
      name: "NUL in a heartbeat's status (by id)",
      request: () => ({ method: "POST", path: `/agents/${workerId}/heartbeat`, raw: JSON.stringify({ status: nul }) }),
      loc: ["body", "status"],
      type: "string_nul_character"
    },
    {
      name: "NUL in a heartbeat's status (by name)",
      request: () => ({
        method: "POST",
        path: "/agents/heartbeat",
        raw: JSON.stringify({ name: "Validated", status: nul })
      }),
      loc: ["body", "status"],
      type: "string_nul_character"
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
      type: "string_nul_character"
    },
    {
      name: "NUL in a gateway's name",
      request: () => ({
        method: "POST",
        path: "/gateways",
        raw: JSON.stringify({ name: nul, url: api.simulator.url, workspace_root: "/srv/nul" })
      }),
      loc: ["body", "name"],
      type: "string_nul_character"
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
      msg: "String should have at most 200 characters"
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
      const before = await stored()
      const { agent, method, path, raw } = testCase.request()
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
      // The answer is short: no echo of the input.
      assert.isBelow(JSON.stringify(response.body).length, 1000)
      assert.strictEqual(await stored(), before)
    })
  }
})
