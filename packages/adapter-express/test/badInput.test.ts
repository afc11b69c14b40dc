// Bad input, generated, over every route: whatever the body (NUL characters, over-long strings, deep nesting, huge or
// malformed JSON, a form's content type), query or path, the API answers a 4xx with a JSON body (never a 500), a
// refused request writes nothing, and nothing stored ever holds what the limits refuse.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { Fixtures } from "@mission-control/core/testing"
import express from "express"
import fc from "fast-check"
import { run, startApi } from "./harness.js"

type Api = Awaited<ReturnType<typeof startApi>>
let api: Api
/** Agent tokens of the seeded board's lead and of one of its workers, for the agent routes. */
const agentTokens = { lead: "", worker: "" }

beforeAll(async () => {
  // Hundreds of requests per agent token within a minute: the rate limit (tested on its own) is off here.
  api = await startApi(express as never, undefined, { agentRateLimit: false })
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

/** What is stored: the agents and gateways the owner can see, with what a write would change. */
const stored = async () => {
  const agents = await api.call("GET", "/agents?limit=200", { user: api.world.owner })
  const gateways = await api.call("GET", "/gateways?limit=200", { user: api.world.owner })
  // Whatever was accepted, nothing stored holds what the limits refuse.
  let nul = false
  JSON.stringify([agents.body, gateways.body], (_key, value: unknown) => {
    if (typeof value === "string" && value.includes("\u0000")) nul = true
    return value
  })
  assert.isFalse(nul, "a NUL character was stored")
  for (const item of [...agents.body.items, ...gateways.body.items]) assert.isAtMost(item.name.length, 200)
  return JSON.stringify({
    agents: [
      agents.body.total,
      agents.body.items.map((agent: Record<string, unknown>) => [agent["id"], agent["updated_at"]])
    ],
    gateways: [
      gateways.body.total,
      gateways.body.items.map((gateway: Record<string, unknown>) => [gateway["id"], gateway["updated_at"]])
    ]
  })
}

/** A value nested `depth` levels deep, in arrays or objects, built without recursion. */
const nestedValue = (depth: number, inObjects: boolean): unknown => {
  let value: unknown = inObjects ? {} : []
  for (let level = 1; level < depth; level++) value = inObjects ? { a: value } : [value]
  return value
}
// Past every limit: NUL characters Postgres text cannot hold, strings longer than any field allows, and nesting past
// the JSON limits (16 for stored values, 64 for a whole body). Values nest at most 80 deep (fast-check prints them
// recursively); deeper nesting, up to depths that overflow a recursive formatter, comes as raw JSON text.
const nulText = fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(([a, b]) => `${a}\u0000${b}`)
const longText = fc.oneof(
  fc.integer({ min: 101, max: 5_000 }).map((length) => "n".repeat(length)),
  fc.integer({ min: 100_001, max: 150_000 }).map((length) => "t".repeat(length))
)
const deep = fc.tuple(fc.integer({ min: 17, max: 80 }), fc.boolean())
  .map(([depth, inObjects]) => nestedValue(depth, inObjects))
const hostile = fc.oneof(nulText, longText, deep)
const text = fc.oneof(fc.string(), hostile)

const body = fc.oneof(
  fc.jsonValue(),
  deep,
  fc.record({
    board_id: fc.oneof(fc.uuid(), fc.string(), fc.integer(), fc.constant(null), hostile),
    name: fc.oneof(fc.string(), fc.constant(""), fc.constant("   "), fc.integer(), fc.constant(null), hostile),
    status: fc.oneof(text, fc.constant(null)),
    heartbeat_config: fc.oneof(fc.jsonValue(), fc.constant(null), hostile, deep.map((value) => ({ nested: value }))),
    identity_profile: fc.oneof(fc.jsonValue(), hostile, nulText.map((value) => ({ role: value }))),
    identity_template: fc.oneof(text, fc.constant(null)),
    soul_template: fc.oneof(text, fc.constant(null)),
    is_gateway_main: fc.oneof(fc.boolean(), fc.string()),
    url: fc.oneof(fc.string(), fc.integer(), hostile, nulText.map((value) => `ws://host/${value}`)),
    workspace_root: fc.oneof(text, fc.constant(null)),
    token: fc.oneof(fc.string(), fc.integer(), hostile)
  }, { requiredKeys: [] })
)
const raw = fc.oneof(
  fc.string(),
  fc.constantFrom("{", "[1,", "nul", "\"", "{\"name\":}", "\u0000", "{\"name\":\"\\u0000\"}"),
  fc.integer({ min: 65, max: 20_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
  fc.tuple(
    fc.constantFrom("name", "status", "heartbeat_config", "identity_profile", "soul_template", "url", "token"),
    fc.integer({ min: 65, max: 20_000 }),
    fc.boolean()
  ).map(([field, depth, inObjects]) =>
    `{"name":"Deep","${field}":${inObjects ? "{\"a\":".repeat(depth) : "[".repeat(depth)}1${
      (inObjects ? "}" : "]").repeat(depth)
    }}`
  ),
  // Over the 1 MiB body limit: a 413.
  fc.constant(JSON.stringify({ name: "x".repeat(1_100_000) }))
)
/** Mostly JSON; sometimes none (read as JSON), sometimes what a cross-site form sends (415). */
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom(null, "application/json; charset=utf-8", "application/merge-patch+json") },
  { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data") }
)
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

/**
 * Makes the presence of the agent `caller` fresh: a heartbeat sets it to now, so for 30 s no authenticated request of
 * that agent refreshes it again.
 */
const freshPresence = (caller: "lead" | "worker") =>
  run(api.clientAs({ agentToken: agentTokens[caller] }).agent.heartbeat({ payload: { name: caller } }))

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
          contentType,
          async (id, search, input, type) => {
            const sendsBody = method === "POST" || method === "PATCH"
            // An agent's authenticated request refreshes its presence when it is 30 s old, refused or not (as the
            // reference's auth dependency does): made fresh here, the request below has nothing to refresh.
            if (caller !== "user") await freshPresence(caller)
            const before = await stored()
            const target = `${path(id)}?${search}`
            const response = path("") === "/agents/stream"
              ? await openStream(target)
              : await api.call(method, target, {
                ...(caller === "user" ? { user: api.world.owner } : { agentToken: agentTokens[caller] }),
                ...(sendsBody ? { ...input, ...(type === undefined ? {} : { contentType: type }) } : {})
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
