// Bad input, generated, over every route: whatever the body, query or path, the API answers a 4xx with a JSON body
// (never a 500), and a refused request writes nothing.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { Fixtures } from "@mission-control/core/testing"
import express from "express"
import fc from "fast-check"
import { startApi } from "./harness.js"

type Api = Awaited<ReturnType<typeof startApi>>
let api: Api
/** Agent tokens of the seeded board's lead and of one of its workers, for the agent routes. */
const agentTokens = { lead: "", worker: "" }

beforeAll(async () => {
  api = await startApi(express as never)
  const { world } = api
  agentTokens.lead = (await api.runtime.runPromise(
    Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, isBoardLead: true, name: "Lead" })
  )).token
  agentTokens.worker = (await api.runtime.runPromise(
    Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: "Worker" })
  )).token
}, 120_000)
afterAll(async () => {
  await api.stop()
  await closeSharedTestDatabase()
})

/** How much is stored: agents and gateways the owner can see. */
const stored = async () => {
  const agents = await api.call("GET", "/agents?limit=1", { user: api.world.owner })
  const gateways = await api.call("GET", "/gateways?limit=1", { user: api.world.owner })
  return `${agents.body.total}/${gateways.body.total}`
}

const body = fc.oneof(
  fc.jsonValue(),
  fc.record({
    board_id: fc.oneof(fc.uuid(), fc.string(), fc.integer(), fc.constant(null)),
    name: fc.oneof(fc.string(), fc.constant(""), fc.constant("   "), fc.integer(), fc.constant(null)),
    status: fc.oneof(fc.string(), fc.constant(null)),
    heartbeat_config: fc.oneof(fc.jsonValue(), fc.constant(null)),
    identity_profile: fc.jsonValue(),
    is_gateway_main: fc.oneof(fc.boolean(), fc.string()),
    url: fc.oneof(fc.string(), fc.integer()),
    workspace_root: fc.oneof(fc.string(), fc.constant(null)),
    token: fc.oneof(fc.string(), fc.integer())
  }, { requiredKeys: [] })
)
const raw = fc.oneof(fc.string(), fc.constantFrom("{", "[1,", "nul", "\"", "{\"name\":}", "\u0000"))
const segment = fc.oneof(
  fc.uuid(),
  fc.string({ minLength: 1, maxLength: 40 }).map((text) => encodeURIComponent(text)),
  fc.constant("%ZZ")
)
const query = fc.dictionary(
  fc.constantFrom("limit", "offset", "board_id", "gateway_id", "force", "since", "include_main", "rotate_tokens"),
  fc.oneof(fc.string(), fc.integer().map(String), fc.uuid())
).map((entries) => new URLSearchParams(entries).toString())

type Caller = "user" | "lead" | "worker"

const routes: ReadonlyArray<readonly [string, (id: string) => string, Caller]> = [
  ["POST", () => "/agents", "user"],
  ["PATCH", (id) => `/agents/${id}`, "user"],
  ["POST", (id) => `/agents/${id}/heartbeat`, "user"],
  ["POST", () => "/agents/heartbeat", "user"],
  ["POST", () => "/gateways", "user"],
  ["PATCH", (id) => `/gateways/${id}`, "user"],
  ["POST", (id) => `/boards/${id}/lead`, "user"],
  ["POST", (id) => `/gateways/${id}/templates/sync`, "user"],
  ["GET", () => "/agents", "user"],
  ["GET", () => "/agents/stream", "user"],
  ["GET", (id) => `/agents/${id}`, "user"],
  ["DELETE", (id) => `/agents/${id}`, "user"],
  ["GET", () => "/gateways", "user"],
  ["GET", (id) => `/gateways/${id}`, "user"],
  ["DELETE", (id) => `/gateways/${id}`, "user"],
  ["GET", () => "/agent/agents", "worker"],
  ["POST", () => "/agent/agents", "lead"],
  ["POST", () => "/agent/heartbeat", "worker"],
  ["DELETE", (id) => `/agent/boards/${id}/agents/${id}`, "lead"]
]

/** A stream's answer: its status, and its JSON body when it is not an event stream (which is left at once). */
const openStream = async (path: string) => {
  const abort = new AbortController()
  const response = await fetch(`${api.base}${path}`, {
    headers: { authorization: `Bearer ${api.tokenFor(api.world.owner)}` },
    signal: abort.signal
  })
  if (response.headers.get("content-type")?.startsWith("text/event-stream") === true) {
    abort.abort()
    return { status: response.status, body: {} }
  }
  return { status: response.status, body: await response.json() as unknown }
}

describe("bad input never gets a 500", () => {
  for (const [method, path, caller] of routes) {
    it(`${method} ${path("{id}")} (${caller})`, async () => {
      await fc.assert(
        fc.asyncProperty(
          segment,
          query,
          fc.oneof(body.map((value) => ({ body: value })), raw.map((text) => ({ raw: text }))),
          async (id, search, input) => {
            const sendsBody = method === "POST" || method === "PATCH"
            const before = await stored()
            const target = `${path(id)}?${search}`
            const response = path("") === "/agents/stream"
              ? await openStream(target)
              : await api.call(method, target, {
                ...(caller === "user" ? { user: api.world.owner } : { agentToken: agentTokens[caller] }),
                ...(sendsBody ? input : {})
              })
            if (response.status >= 500) throw new Error(`${response.status}: ${JSON.stringify(response.body)}`)
            if (response.status >= 400) {
              assert.isObject(response.body)
              assert.property(response.body, "detail")
              // A refused request wrote nothing.
              assert.strictEqual(await stored(), before)
            }
          }
        ),
        { numRuns: 40, seed: 20261125 }
      )
    }, 120_000)
  }
})
