// The API served from its one definition: the OpenAPI document lists exactly the routes served, the typed client
// drives them, the same handler mounts in plain `node:http`, and a body the host already parsed still arrives.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { createMissionControlHandler } from "@mission-control/adapter-express"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import type { User } from "@mission-control/core"
import {
  makeClient,
  MissionControlApi,
  NotFoundResponse,
  openApiDocument,
  probePaths,
  ValidationFailedResponse
} from "@mission-control/core/http"
import { Fixtures } from "@mission-control/core/testing"
import { Effect, Stream } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import express5 from "express"
import express4 from "express4"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { startApi } from "./harness.js"

afterAll(closeSharedTestDatabase)

/** Every (method, path) of the definition, in OpenAPI's path syntax. */
const definedRoutes = () => {
  const routes: Array<string> = []
  for (const group of Object.values(MissionControlApi.groups)) {
    for (const endpoint of Object.values(group.endpoints)) {
      routes.push(`${endpoint.method} ${endpoint.path.replace(/:([a-z_]+)/g, "{$1}")}`)
    }
  }
  return routes.sort()
}

const documentedRoutes = (document: { readonly paths: Record<string, Record<string, unknown>> }) =>
  Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations).filter((key) => ["get", "post", "patch", "delete", "put"].includes(key)).map((method) =>
      `${method.toUpperCase()} ${path}`
    )
  ).sort()

describe("the API's one definition", () => {
  it("the OpenAPI document lists every route of the definition, and nothing else", () => {
    const document = openApiDocument() as unknown as { readonly paths: Record<string, Record<string, unknown>> }
    assert.deepStrictEqual(documentedRoutes(document), definedRoutes())
    assert.isAtLeast(definedRoutes().length, 18)
  })

  for (const [version, createApp] of [["Express 5", express5], ["Express 4", express4]] as const) {
    it(`${version}: every documented route is served (none falls to the 404/405 fallback); the served document is the derived one`, async () => {
      const api = await startApi(createApp as never)
      try {
        const served = await fetch(`${api.base}/openapi.json`)
        assert.strictEqual(served.status, 200)
        const document = await served.json() as { readonly paths: Record<string, Record<string, unknown>> }
        assert.deepStrictEqual(document, JSON.parse(JSON.stringify(openApiDocument())))
        // HEAD is answered as the GET of the same path; the document's path is a known one too.
        const owner = { authorization: `Bearer ${api.tokenFor(api.world.owner)}` }
        assert.strictEqual((await fetch(`${api.base}/agents`, { method: "HEAD", headers: owner })).status, 200)
        assert.strictEqual((await fetch(`${api.base}/openapi.json`, { method: "HEAD" })).status, 200)
        assert.strictEqual((await fetch(`${api.base}/nope`, { method: "HEAD" })).status, 404)
        const put = await fetch(`${api.base}/openapi.json`, { method: "PUT" })
        assert.deepStrictEqual([put.status, put.headers.get("allow")], [405, "GET, HEAD"])
        for (const route of documentedRoutes(document)) {
          const [method, path] = route.split(" ") as [string, string]
          const url = `${api.origin}${path.replace(/\{[a-z_]+\}/g, "00000000-0000-4000-8000-000000000000")}`
          const response = await fetch(url, { method, headers: { authorization: "Bearer nobody" } })
          const body = await response.text()
          // Unauthenticated: the route's own answer (401; the probes need no sign-in), not the fallback's 404 or 405.
          const isProbe = (Object.values(probePaths) as ReadonlyArray<string>).includes(path)
          assert.strictEqual(response.status, isProbe ? 200 : 401, `${route}: ${body}`)
        }
      } finally {
        await api.stop()
      }
    })
  }
})

describe("hosts", () => {
  it("plain node:http: the same handler, mounted in a few lines, driven by the typed client", async () => {
    const api = await startApi(express5 as never)
    const owner = api.world.owner
    const handler = createMissionControlHandler({
      runtime: api.runtime,
      authenticateUser: (req) => req.headers.authorization === "Bearer owner" ? owner as User : undefined
    })
    const server = createServer(handler.handle)
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      await handler.ready()
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const client = Effect.runSync(
        makeClient(origin, {
          transformClient: HttpClient.mapRequest(HttpClientRequest.setHeaders({ authorization: "Bearer owner" }))
        }).pipe(Effect.provide(FetchHttpClient.layer))
      )
      const created = await Effect.runPromise(
        client.agents.create({ payload: { board_id: api.world.board.id, name: "Plain Node" } })
      )
      assert.strictEqual(created.name, "Plain Node")
      const page = await Effect.runPromise(client.agents.list({ query: { board_id: api.world.board.id } }))
      assert.include(page.items.map((agent) => agent.id), created.id)
      const missing = await Effect.runPromise(Effect.flip(client.agents.get({ params: { agent_id: "nope" } })))
      assert.instanceOf(missing, NotFoundResponse)
      assert.strictEqual((missing as NotFoundResponse).detail, "Not Found")
      // The client checks its input too; bad input sent by hand gets FastAPI's 422.
      const refused = await Effect.runPromise(Effect.flip(client.gateways.list({ query: { limit: 0 } })))
      assert.notInstanceOf(refused, ValidationFailedResponse)
      const invalid = await fetch(`${origin}/api/v1/gateways?limit=0`, { headers: { authorization: "Bearer owner" } })
      assert.deepStrictEqual(
        [invalid.status, ((await invalid.json()) as { detail: Array<{ type: string }> }).detail[0]?.type],
        [422, "greater_than_equal"]
      )
      const unrouted = await fetch(`${origin}/api/v1/nope`)
      assert.deepStrictEqual([unrouted.status, (await unrouted.json() as { detail: string }).detail], [
        404,
        "Not Found"
      ])
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await handler.dispose()
      await api.stop()
    }
  })

  it("the typed client reads both SSE endpoints: a sync's progress (index of total) then its result; agent events", async () => {
    const api = await startApi(express5 as never)
    try {
      const client = api.clientAs({ user: api.world.owner })
      const events = await Effect.runPromise(Effect.flatMap(
        client.gateways.syncTemplates({
          params: { gateway_id: api.world.gateway.id },
          query: {},
          headers: { accept: "text/event-stream" }
        }),
        (answer) => "gateway_id" in answer ? Effect.die("expected a stream") : Stream.runCollect(answer)
      ))
      const progress = events.filter((event) => event.event === "progress").map((event) => event.data)
      const result = events.filter((event) => event.event === "result")
      assert.strictEqual(result.length, 1)
      assert.isAbove(progress.length, 0)
      assert.deepStrictEqual(
        progress.map((event) => "index" in event ? event.index : -1).sort(),
        progress.map((_, i) => i + 1)
      )
      for (const event of progress) assert.strictEqual("total" in event ? event.total : -1, progress.length)
      const plain = await Effect.runPromise(
        client.gateways.syncTemplates({ params: { gateway_id: api.world.gateway.id }, query: {}, headers: {} })
      )
      assert.isTrue("gateway_id" in plain && plain.gateway_id === api.world.gateway.id)

      const stream = await Effect.runPromise(
        client.agents.stream({ query: { board_id: api.world.board.id }, headers: {} })
      )
      const { agent, token } = await api.runtime.runPromise(
        Fixtures.agent({ gatewayId: api.world.gateway.id, boardId: api.world.board.id })
      )
      const first = Effect.runPromise(Stream.runHead(stream))
      await new Promise((resolve) => setTimeout(resolve, 100))
      await api.call("POST", `/agents/${agent.id}/heartbeat`, { agentToken: token, body: { status: "typed" } })
      const event = await first
      assert.isTrue(event._tag === "Some" && event.value.data.agent.id === agent.id)
    } finally {
      await api.stop()
    }
  })

  it("GET /agent/healthz answers the token's agent as the reference does (X-Agent-Token or bearer); 401 without", async () => {
    const api = await startApi(express5 as never)
    try {
      const { agent, token } = await api.runtime.runPromise(
        Fixtures.agent({ gatewayId: api.world.gateway.id, boardId: api.world.board.id, isBoardLead: true })
      )
      for (const identity of [{ agentToken: token }, { bearer: token }]) {
        const health = await Effect.runPromise(api.clientAs(identity).agent.healthz())
        assert.deepStrictEqual(health, {
          ok: true,
          agent_id: agent.id,
          board_id: api.world.board.id,
          gateway_id: api.world.gateway.id,
          status: "online", // the request's authentication refreshed the agent's presence
          is_board_lead: true
        })
      }
      const refused = await fetch(`${api.base}/agent/healthz`)
      assert.deepStrictEqual([refused.status, (await refused.json() as { detail: string }).detail], [
        401,
        "Unauthorized"
      ])
    } finally {
      await api.stop()
    }
  })

  for (const [version, createApp] of [["Express 5", express5], ["Express 4", express4]] as const) {
    it(`${version}: a host that installed express.json() before the router still gets its bodies decoded`, async () => {
      const api = await startApi(() => {
        const app = (createApp as unknown as () => ReturnType<typeof express5>)()
        app.use(express5.json())
        return app as never
      })
      try {
        const created = await api.call("POST", "/agents", {
          user: api.world.owner,
          body: { board_id: api.world.board.id, name: "Parsed First" }
        })
        assert.deepStrictEqual([created.status, created.body.name], [200, "Parsed First"], JSON.stringify(created.body))
        const renamed = await api.call("PATCH", `/agents/${created.body.id}`, {
          user: api.world.owner,
          body: { name: "Parsed Twice" }
        })
        assert.deepStrictEqual([renamed.status, renamed.body.name], [200, "Parsed Twice"])
        const invalid = await api.call("POST", "/agents", { user: api.world.owner, body: { name: "" } })
        assert.deepStrictEqual(
          [invalid.status, invalid.body.detail[0].loc],
          [422, ["body", "name"]],
          JSON.stringify(invalid.body)
        )
        const empty = await api.call("POST", `/agents/${created.body.id}/heartbeat`, { user: api.world.owner })
        assert.strictEqual(empty.status, 200, JSON.stringify(empty.body))
      } finally {
        await api.stop()
      }
    })
  }
})
