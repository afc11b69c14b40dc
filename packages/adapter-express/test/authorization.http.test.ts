// The authorization matrix over HTTP: every route against the nine kinds of caller.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { Fixtures } from "@mission-control/core/testing"
import express from "express"
import { startApi } from "./harness.js"

const callers = [
  "owner",
  "admin",
  "boardReader",
  "boardWriter",
  "noAccess",
  "otherOrgAdmin",
  "boardAgent",
  "boardLead",
  "otherBoardLead"
] as const
type Caller = typeof callers[number]
type Api = Awaited<ReturnType<typeof startApi>>

let api: Api
let tokens: Record<"boardAgent" | "boardLead" | "otherBoardLead", string>
let workerId: string

beforeAll(async () => {
  api = await startApi(express as never)
  const world = api.world
  const second = await api.runtime.runPromise(
    Fixtures.board(world.organization.id, world.gateway.id, { name: "Second" })
  )
  const worker = await api.runtime.runPromise(
    Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: "Worker" })
  )
  const lead = await api.runtime.runPromise(
    Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, isBoardLead: true, name: "Lead" })
  )
  const otherLead = await api.runtime.runPromise(
    Fixtures.agent({ gatewayId: world.gateway.id, boardId: second.id, isBoardLead: true, name: "Other Lead" })
  )
  workerId = worker.agent.id
  tokens = { boardAgent: worker.token, boardLead: lead.token, otherBoardLead: otherLead.token }
}, 120_000)
afterAll(async () => {
  await api.stop()
  await closeSharedTestDatabase()
})

const as = (caller: Caller) => {
  const world = api.world
  const users = {
    owner: world.owner,
    admin: world.admin,
    boardReader: world.reader,
    boardWriter: world.writer,
    noAccess: world.outsider,
    otherOrgAdmin: world.other.admin
  }
  return caller in users
    ? { user: users[caller as keyof typeof users] }
    : { agentToken: tokens[caller as keyof typeof tokens] }
}

const freshWorker = () =>
  api.runtime.runPromise(Fixtures.agent({ gatewayId: api.world.gateway.id, boardId: api.world.board.id })).then((
    created
  ) => created.agent.id)

const U = 401 // a user route called with an agent token, or an agent route called by a user: no credentials it takes
const routes: Array<
  {
    readonly name: string
    readonly call: (caller: Caller) => Promise<number>
    readonly expected: Record<Caller, number>
  }
> = [
  {
    name: "GET /agents",
    call: async (c) => (await api.call("GET", "/agents", as(c))).status,
    expected: {
      owner: 200,
      admin: 200,
      boardReader: 403,
      boardWriter: 403,
      noAccess: 403,
      otherOrgAdmin: 200,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "GET /agents/stream",
    call: async (c) => {
      const abort = new AbortController()
      const headers: Record<string, string> = {}
      const credentials = as(c)
      if ("user" in credentials) headers["authorization"] = `Bearer ${api.tokenFor(credentials.user)}`
      else headers["x-agent-token"] = credentials.agentToken
      const response = await fetch(`${api.base}/agents/stream`, { headers, signal: abort.signal })
      abort.abort()
      return response.status
    },
    expected: {
      owner: 200,
      admin: 200,
      boardReader: 403,
      boardWriter: 403,
      noAccess: 403,
      otherOrgAdmin: 200,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "POST /agents",
    call: async (c) =>
      (await api.call("POST", "/agents", { ...as(c), body: { board_id: api.world.board.id, name: `New ${c}` } }))
        .status,
    expected: {
      owner: 200,
      admin: 200,
      boardReader: 403,
      boardWriter: 403,
      noAccess: 403,
      otherOrgAdmin: 403,
      boardAgent: 403,
      boardLead: 200,
      otherBoardLead: 403
    }
  },
  {
    name: "GET /agents/{id}",
    call: async (c) => (await api.call("GET", `/agents/${workerId}`, as(c))).status,
    expected: {
      owner: 200,
      admin: 200,
      boardReader: 403,
      boardWriter: 403,
      noAccess: 403,
      otherOrgAdmin: 404,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "PATCH /agents/{id}",
    // An update re-provisions the agent with a new token: a fresh target, so the worker's token stays valid.
    call: async (c) =>
      (await api.call("PATCH", `/agents/${await freshWorker()}`, { ...as(c), body: { identity_template: `by ${c}` } }))
        .status,
    expected: {
      owner: 200,
      admin: 200,
      boardReader: 403,
      boardWriter: 403,
      noAccess: 403,
      otherOrgAdmin: 404,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "POST /agents/{id}/heartbeat",
    call: async (c) => (await api.call("POST", `/agents/${workerId}/heartbeat`, { ...as(c), body: {} })).status,
    expected: {
      owner: 200,
      admin: 200,
      boardReader: 403,
      boardWriter: 403,
      noAccess: 403,
      otherOrgAdmin: 404,
      boardAgent: 200,
      boardLead: 403,
      otherBoardLead: 403
    }
  },
  {
    name: "DELETE /agents/{id}",
    call: async (c) => (await api.call("DELETE", `/agents/${await freshWorker()}`, as(c))).status,
    expected: {
      owner: 200,
      admin: 200,
      boardReader: 403,
      boardWriter: 403,
      noAccess: 403,
      otherOrgAdmin: 404,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "GET /agent/agents",
    call: async (c) => (await api.call("GET", "/agent/agents", as(c))).status,
    expected: {
      owner: U,
      admin: U,
      boardReader: U,
      boardWriter: U,
      noAccess: U,
      otherOrgAdmin: U,
      boardAgent: 200,
      boardLead: 200,
      otherBoardLead: 200
    }
  },
  {
    name: "DELETE /agent/boards/{board}/agents/{id}",
    call: async (c) =>
      (await api.call("DELETE", `/agent/boards/${api.world.board.id}/agents/${await freshWorker()}`, as(c))).status,
    expected: {
      owner: U,
      admin: U,
      boardReader: U,
      boardWriter: U,
      noAccess: U,
      otherOrgAdmin: U,
      boardAgent: 403,
      boardLead: 200,
      otherBoardLead: 403
    }
  },
  {
    name: "POST /boards/{board}/lead",
    call: async (c) => (await api.call("POST", `/boards/${api.world.board.id}/lead`, { ...as(c), body: {} })).status,
    expected: {
      owner: 200,
      admin: 200,
      boardReader: 403,
      boardWriter: 200,
      noAccess: 403,
      otherOrgAdmin: 403,
      boardAgent: 403,
      boardLead: 403,
      otherBoardLead: 403
    }
  },
  {
    name: "GET /gateways/{id}",
    call: async (c) => (await api.call("GET", `/gateways/${api.world.gateway.id}`, as(c))).status,
    expected: {
      owner: 200,
      admin: 200,
      boardReader: 403,
      boardWriter: 403,
      noAccess: 403,
      otherOrgAdmin: 404,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "POST /gateways/{id}/templates/sync",
    call: async (c) =>
      (await api.call("POST", `/gateways/${api.world.gateway.id}/templates/sync?include_main=false`, as(c))).status,
    expected: {
      owner: 200,
      admin: 200,
      boardReader: 403,
      boardWriter: 403,
      noAccess: 403,
      otherOrgAdmin: 404,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  }
]

describe("authorization matrix over HTTP", () => {
  for (const route of routes) {
    for (const caller of callers) {
      it(`${route.name} as ${caller} → ${route.expected[caller]}`, async () => {
        assert.strictEqual(await route.call(caller), route.expected[caller])
      })
    }
  }
})
