// Bad input, generated: whatever the body, query or path, the API answers a 4xx with a JSON body (never a 500), and
// a refused request writes nothing.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import fc from "fast-check"
import express from "express"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { startApi } from "./harness.js"

type Api = Awaited<ReturnType<typeof startApi>>
let api: Api

beforeAll(async () => {
  api = await startApi(express as never)
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
const segment = fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 40 }).map((text) => encodeURIComponent(text)), fc.constant("%ZZ"))
const query = fc.dictionary(
  fc.constantFrom("limit", "offset", "board_id", "gateway_id", "force", "since", "include_main", "rotate_tokens"),
  fc.oneof(fc.string(), fc.integer().map(String), fc.uuid())
).map((entries) => new URLSearchParams(entries).toString())

const routes: ReadonlyArray<readonly [string, (id: string) => string]> = [
  ["POST", () => "/agents"],
  ["PATCH", (id) => `/agents/${id}`],
  ["POST", (id) => `/agents/${id}/heartbeat`],
  ["POST", () => "/agents/heartbeat"],
  ["POST", () => "/gateways"],
  ["PATCH", (id) => `/gateways/${id}`],
  ["POST", (id) => `/boards/${id}/lead`],
  ["POST", (id) => `/gateways/${id}/templates/sync`],
  ["GET", () => "/agents"],
  ["GET", (id) => `/agents/${id}`],
  ["DELETE", (id) => `/agents/${id}`],
  ["DELETE", (id) => `/agent/boards/${id}/agents/${id}`]
]

describe("bad input never gets a 500", () => {
  for (const [method, path] of routes) {
    it(`${method} ${path("{id}")}`, async () => {
      const before = await stored()
      await fc.assert(
        fc.asyncProperty(segment, query, fc.oneof(body.map((value) => ({ body: value })), raw.map((text) => ({ raw: text }))), async (id, search, input) => {
          const sendsBody = method === "POST" || method === "PATCH"
          const response = await api.call(method, `${path(id)}?${search}`, { user: api.world.owner, ...(sendsBody ? input : {}) })
          if (response.status >= 500) throw new Error(`${response.status}: ${JSON.stringify(response.body)}`)
          if (response.status >= 400) {
            assert.isObject(response.body)
            assert.property(response.body, "detail")
          }
        }),
        { numRuns: 40, seed: 20261125 }
      )
      // Every generated board id, gateway id and agent id is unknown: nothing could be created or removed.
      assert.strictEqual(await stored(), before)
    }, 120_000)
  }
})
