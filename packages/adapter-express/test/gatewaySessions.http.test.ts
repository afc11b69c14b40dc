// The gateway operator routes over HTTP, against the simulator: status, sessions, history, messages, commands, and
// the version gate of gateway create and update.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { gatewayMainSessionKey } from "@mission-control/core"
import {
  ForbiddenResponse,
  GatewayFailureResponse,
  NotFoundResponse,
  UnauthorizedResponse,
  UnprocessableResponse
} from "@mission-control/core/http"
import { Fixtures } from "@mission-control/core/testing"
import type { GatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { selfSignedCertificate, startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { Effect, Redacted } from "effect"
import express from "express"
import { failureOf, run, startApi } from "./harness.js"

let api: Awaited<ReturnType<typeof startApi>>
beforeAll(async () => {
  api = await startApi(express as never)
})
afterAll(async () => {
  await api?.stop()
  await closeSharedTestDatabase()
})

const board = () => ({ board_id: api.world.board.id })

describe("GET /gateways/status", () => {
  it("is its own route, not GET /gateways/{gateway_id}: the board's gateway, its sessions and its main session", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const status = await run(owner.gatewaySessions.status({ query: board() }))
    assert.isTrue(status.connected, JSON.stringify(status))
    assert.strictEqual(status.gateway_url, api.simulator.url)
    assert.strictEqual(status.error, null)
    assert.strictEqual(status.main_session_error, null)
    assert.strictEqual(status.sessions_count, status.sessions?.length)
    assert.strictEqual((status.main_session as { readonly label?: unknown }).label, "Gateway Agent")
    assert.isTrue(api.simulator.sessions().has(gatewayMainSessionKey(api.world.gateway.id)))
    // Every field of the reference's answer is there, unset ones as null.
    const raw = await api.call("GET", "/gateways/status", { user: api.world.owner })
    assert.deepStrictEqual([raw.status, raw.body.detail], [422, "board_id or gateway_url is required"])
  })

  it(
    "by URL: the query's token, else the saved gateway's; a refused token or an unreachable URL is connected: false",
    async () => {
      const owner = api.clientAs({ user: api.world.owner })
      const saved = await run(owner.gatewaySessions.status({ query: { gateway_url: ` ${api.simulator.url} ` } }))
      assert.deepStrictEqual([saved.connected, saved.main_session, saved.sessions_count !== null], [true, null, true])
      const refused = await run(
        owner.gatewaySessions.status({ query: { gateway_url: api.simulator.url, gateway_token: "wrong-token" } })
      )
      assert.isFalse(refused.connected)
      assert.strictEqual(refused.error, "Gateway authentication failed. Verify gateway token and operator scopes.")
      assert.deepStrictEqual([refused.sessions, refused.sessions_count], [null, null])
      assert.notInclude(JSON.stringify(refused), "wrong-token")
      const blank = await failureOf(
        owner.gatewaySessions.status({ query: { gateway_url: "   " } }),
        UnprocessableResponse
      )
      assert.strictEqual(blank.detail, "board_id or gateway_url is required")
      const unreachable = await run(owner.gatewaySessions.status({ query: { gateway_url: "ws://127.0.0.1:9" } }))
      assert.isFalse(unreachable.connected)
      assert.isString(unreachable.error)
    },
    30_000
  )

  it("a gateway older than the minimum version is connected: false with both versions named", async () => {
    api.simulator.configure({ version: "2026.1.5" })
    try {
      const owner = api.clientAs({ user: api.world.owner })
      // A new URL spelling (trailing slash) is a new connection, which reads the version again.
      const status = await run(
        owner.gatewaySessions.status({
          query: { gateway_url: `${api.simulator.url}/`, gateway_token: "simulator-token" }
        })
      )
      assert.isFalse(status.connected)
      assert.strictEqual(
        status.error,
        "Gateway version 2026.1.5 is not supported. Minimum supported version is 2026.02.9."
      )
    } finally {
      api.simulator.configure({ version: "2026.9.6" })
    }
  })
})

// The simulator sees a socket close a moment after the client closes it.
const openConnectionsBecome = async (simulator: GatewaySimulator, expected: number) => {
  for (let attempt = 0; attempt < 100 && simulator.openConnections() !== expected; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  assert.strictEqual(simulator.openConnections(), expected, "open connections")
}

// The connection the simulator saw the last `sessions.list` on.
const lastListConnection = () =>
  api.simulator.calls().filter((call) => call.method === "sessions.list").at(-1)?.connection

describe("GET /gateways/status by URL: probes are not pooled", () => {
  it("probing the saved gateway's URL with another token or option leaves its pooled connection alone", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    assert.isTrue((await run(owner.gatewaySessions.status({ query: board() }))).connected)
    const pooled = lastListConnection()
    const opened = api.simulator.connectionsOpened()
    const refused = await run(
      owner.gatewaySessions.status({ query: { gateway_url: api.simulator.url, gateway_token: "wrong-token" } })
    )
    assert.isFalse(refused.connected)
    const otherOption = await run(owner.gatewaySessions.status({
      query: {
        gateway_url: api.simulator.url,
        gateway_token: "simulator-token",
        gateway_disable_device_pairing: true
      }
    }))
    assert.isTrue(otherOption.connected, JSON.stringify(otherOption))
    assert.isAbove(api.simulator.connectionsOpened(), opened)
    // The saved gateway's calls still run on the connection they had.
    assert.isTrue((await run(owner.gatewaySessions.status({ query: board() }))).connected)
    assert.strictEqual(lastListConnection(), pooled)
    // The saved gateway's own target by URL (its token, its options) is the pooled connection too.
    const opensBefore = api.simulator.connectionsOpened()
    const same = await run(owner.gatewaySessions.status({
      query: { gateway_url: api.simulator.url, gateway_token: "simulator-token" }
    }))
    assert.isTrue(same.connected)
    assert.deepStrictEqual([lastListConnection(), api.simulator.connectionsOpened()], [pooled, opensBefore])
    await openConnectionsBecome(api.simulator, 1)
  }, 30_000)

  it("probing many URLs leaves no connection open behind", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    await run(owner.gatewaySessions.status({ query: board() }))
    await openConnectionsBecome(api.simulator, 1)
    const opened = api.simulator.connectionsOpened()
    for (let i = 0; i < 5; i++) {
      const status = await run(owner.gatewaySessions.status({
        query: { gateway_url: `${api.simulator.url}/probe-${i}`, gateway_token: "simulator-token" }
      }))
      assert.isTrue(status.connected, JSON.stringify(status))
    }
    assert.strictEqual(api.simulator.connectionsOpened(), opened + 5)
    await openConnectionsBecome(api.simulator, 1)
  }, 30_000)
})

describe("GET /gateways/status by URL: the saved token keeps the saved gateway's connection options", () => {
  let secure: GatewaySimulator
  beforeAll(async () => {
    secure = await startGatewaySimulator({}, { tls: selfSignedCertificate() })
    await api.runtime.runPromise(Fixtures.gateway(api.world.organization.id, {
      name: "Self-signed Gateway",
      url: secure.url,
      token: Redacted.make(secure.token!),
      allowInsecureTls: false
    }))
  })
  afterAll(async () => {
    await secure?.stop()
  })

  it(
    "gateway_allow_insecure_tls does not send the saved token over unverified TLS; with the query's token it does",
    async () => {
      const owner = api.clientAs({ user: api.world.owner })
      const refused = await run(owner.gatewaySessions.status({
        query: { gateway_url: secure.url, gateway_allow_insecure_tls: true }
      }))
      assert.isFalse(refused.connected)
      assert.include(refused.error, "TLS certificate not trusted")
      assert.strictEqual(secure.connects().length, 0)
      const ownToken = await run(owner.gatewaySessions.status({
        query: { gateway_url: secure.url, gateway_token: secure.token!, gateway_allow_insecure_tls: true }
      }))
      assert.isTrue(ownToken.connected, JSON.stringify(ownToken))
      assert.strictEqual(secure.connects().length, 1)
      await openConnectionsBecome(secure, 0)
    },
    30_000
  )
})

describe("gateway sessions", () => {
  it("message into a session, then its history, its entry, and the list", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const key = "agent:mc-operator:main"
    const sent = await run(
      owner.gatewaySessions.message({ params: { session_id: key }, query: board(), payload: { content: "hi" } })
    )
    assert.deepStrictEqual(sent, { ok: true })
    // The content is trimmed, as the reference's NonEmptyStr is.
    const padded = await api.call("POST", `/gateways/sessions/${key}/message?board_id=${api.world.board.id}`, {
      user: api.world.owner,
      body: { content: "  again  " }
    })
    assert.deepStrictEqual([padded.status, padded.body], [200, { ok: true }])
    assert.include(api.simulator.chats().map((entry) => entry["message"]), "again")
    const chat = api.simulator.chats().find((entry) => entry["sessionKey"] === key)
    assert.deepStrictEqual([chat?.["message"], chat?.["deliver"]], ["hi", false])
    const history = await run(owner.gatewaySessions.history({ params: { session_id: key }, query: board() }))
    assert.strictEqual(history.history.length, 2)
    assert.include(JSON.stringify(history.history[0]), "hi")
    const session = await run(owner.gatewaySessions.session({ params: { session_id: key }, query: board() }))
    assert.strictEqual((session.session as { readonly key?: unknown }).key, key)
    // Colons percent-encoded or not name the same session.
    const encoded = await api.call(
      "GET",
      `/gateways/sessions/${encodeURIComponent(key)}?board_id=${api.world.board.id}`,
      {
        user: api.world.owner
      }
    )
    assert.deepStrictEqual([encoded.status, encoded.body.session.key], [200, key])
    const listed = await run(owner.gatewaySessions.sessions({ query: board() }))
    const keys = listed.sessions.map((entry) => (entry as { readonly key?: unknown }).key)
    assert.include(keys, key)
    assert.include(keys, gatewayMainSessionKey(api.world.gateway.id))
    assert.strictEqual((listed.main_session as { readonly label?: unknown }).label, "Gateway Agent")
  })

  it("the gateway agent's main session is found even before it exists; an unknown one is 404", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const main = gatewayMainSessionKey(api.world.gateway.id)
    const found = await run(owner.gatewaySessions.session({ params: { session_id: main }, query: board() }))
    assert.isDefined(found.session)
    const missing = await failureOf(
      owner.gatewaySessions.session({ params: { session_id: "agent:nobody:main" }, query: board() }),
      NotFoundResponse
    )
    assert.strictEqual(missing.detail, "Session not found")
  })

  it("the board: required, known, readable, with a gateway; blank content is refused", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const required = await failureOf(owner.gatewaySessions.sessions({ query: {} }), UnprocessableResponse)
    assert.strictEqual(required.detail, "board_id or gateway_url is required")
    for (const boardId of ["00000000-0000-4000-8000-000000000000", "not-a-board"]) {
      const unknown = await failureOf(
        owner.gatewaySessions.history({ params: { session_id: "agent:x:main" }, query: { board_id: boardId } }),
        NotFoundResponse
      )
      assert.strictEqual(unknown.detail, "Board not found")
    }
    const loose = await api.runtime.runPromise(Fixtures.board(api.world.organization.id, null, { name: "Loose" }))
    const noGateway = await failureOf(
      owner.gatewaySessions.sessions({ query: { board_id: loose.id } }),
      UnprocessableResponse
    )
    assert.strictEqual(noGateway.detail, "Board gateway_id is required")
    const blank = await api.call("POST", `/gateways/sessions/agent:x:main/message?board_id=${api.world.board.id}`, {
      user: api.world.owner,
      body: { content: "   " }
    })
    assert.strictEqual(blank.status, 422)
  })

  it("a gateway that fails the call answers 502 with its error", async () => {
    api.simulator.configure({ faults: [{ method: "chat.history", kind: "error", message: "history is broken" }] })
    try {
      const owner = api.clientAs({ user: api.world.owner })
      const failed = await failureOf(
        owner.gatewaySessions.history({ params: { session_id: "agent:x:main" }, query: board() }),
        GatewayFailureResponse
      )
      assert.strictEqual(failed.detail, "history is broken")
    } finally {
      api.simulator.configure({ faults: [] })
    }
  })
})

describe("who may call the operator routes", () => {
  it("org admins only; the board must be readable (and writable to send); other organizations' boards are 403", async () => {
    const { world } = api
    const calls = (client: ReturnType<typeof api.clientAs>, query: { readonly board_id: string }) => [
      client.gatewaySessions.status({ query }),
      client.gatewaySessions.sessions({ query }),
      client.gatewaySessions.session({ params: { session_id: "agent:x:main" }, query }),
      client.gatewaySessions.history({ params: { session_id: "agent:x:main" }, query }),
      client.gatewaySessions.message({ params: { session_id: "agent:x:main" }, query, payload: { content: "x" } }),
      client.gatewaySessions.commands({ query: {} })
    ]
    for (const call of calls(api.clientAs({}), board())) await failureOf(call, UnauthorizedResponse)
    for (const member of [world.reader, world.writer, world.outsider]) {
      for (const call of calls(api.clientAs({ user: member }), board())) {
        assert.strictEqual((await failureOf(call, ForbiddenResponse)).detail, "Forbidden")
      }
    }
    // Another organization's admin naming our board: no membership there.
    const foreign = calls(api.clientAs({ user: world.other.admin }), board()).slice(0, 5)
    for (const call of foreign) assert.strictEqual((await failureOf(call, ForbiddenResponse)).detail, "No org access")
    // An admin who may read the board but not write it may look, not send.
    const viewer = await api.runtime.runPromise(Effect.gen(function*() {
      const user = yield* Fixtures.user({ name: "Vera Viewer", activeOrganizationId: world.organization.id })
      const member = yield* Fixtures.member(world.organization.id, user.id, "admin")
      yield* Fixtures.boardAccess(member.id, world.board.id, true, false)
      return user
    }))
    const client = api.clientAs({ user: viewer })
    await run(client.gatewaySessions.sessions({ query: board() }))
    const denied = await failureOf(
      client.gatewaySessions.message({
        params: { session_id: "agent:x:main" },
        query: board(),
        payload: { content: "x" }
      }),
      ForbiddenResponse
    )
    assert.strictEqual(denied.detail, "Board access denied")
  })
})

describe("GET /gateways/commands", () => {
  it("without a board the base catalog of gateway 2026.9.6; with one, what its gateway announced", async () => {
    const owner = api.clientAs({ user: api.world.owner })
    const base = await run(owner.gatewaySessions.commands({ query: {} }))
    assert.strictEqual(base.protocol_version, 4)
    for (const method of ["chat.send", "chat.history", "sessions.list", "agents.files.set"]) {
      assert.include(base.methods, method)
    }
    assert.include(base.events, "connect.challenge")
    const live = await run(owner.gatewaySessions.commands({ query: board() }))
    assert.strictEqual(live.protocol_version, 4)
    assert.include(live.methods, "sessions.list")
    assert.include(live.events, "tick")
  })
})

describe("the gateway version gate", () => {
  it(
    "create and update refuse a gateway older than the minimum, naming both versions (422); nothing is saved",
    async () => {
      const owner = api.clientAs({ user: api.world.owner })
      const body = {
        name: "Old Gateway",
        url: api.simulator.url,
        token: "simulator-token",
        workspace_root: "/srv/openclaw"
      }
      api.simulator.configure({ version: "2026.1.30" })
      try {
        const refused = await failureOf(owner.gateways.create({ payload: body }), UnprocessableResponse)
        assert.strictEqual(
          refused.detail,
          "Gateway version 2026.1.30 is not supported. Minimum supported version is 2026.02.9."
        )
        const listed = await run(owner.gateways.list({ query: {} }))
        assert.notInclude(listed.items.map((item) => item.name), "Old Gateway")
      } finally {
        api.simulator.configure({ version: "2026.9.6" })
      }
      const created = await run(owner.gateways.create({ payload: { ...body, name: "New Gateway" } }))
      api.simulator.configure({ version: "2026.2.8" })
      try {
        // A changed token is a new connection: the version is read again.
        const update = owner.gateways.update({
          params: { gateway_id: created.id },
          payload: { url: `${api.simulator.url}/` }
        })
        const refused = await failureOf(update, UnprocessableResponse)
        assert.strictEqual(
          refused.detail,
          "Gateway version 2026.2.8 is not supported. Minimum supported version is 2026.02.9."
        )
        const kept = await run(owner.gateways.get({ params: { gateway_id: created.id } }))
        assert.strictEqual(kept.url, api.simulator.url)
        // A rename does not reconnect, so it is not checked.
        await run(owner.gateways.update({ params: { gateway_id: created.id }, payload: { name: "Renamed" } }))
      } finally {
        api.simulator.configure({ version: "2026.9.6" })
      }
    },
    60_000
  )
})
