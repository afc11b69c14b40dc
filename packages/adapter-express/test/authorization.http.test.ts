// The authorization matrix over HTTP, through the typed client: every route against the nine kinds of caller.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { GatewayId } from "@mission-control/core"
import {
  apiPrefix,
  ForbiddenResponse,
  NotFoundResponse,
  openApiDocument,
  UnauthorizedResponse
} from "@mission-control/core/http"
import { Fixtures } from "@mission-control/core/testing"
import { Effect } from "effect"
import express from "express"
import type { ApiClient, Identity } from "./harness.js"
import { leaveStream, outcomeOf, run, startApi } from "./harness.js"

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

const identityOf = (caller: Caller): Identity => {
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

const clients = new Map<Caller, ApiClient>()
/** The typed client signed in as `caller`. */
const as = (caller: Caller): ApiClient => {
  const known = clients.get(caller)
  if (known !== undefined) return known
  const client = api.clientAs(identityOf(caller))
  clients.set(caller, client)
  return client
}

const freshWorker = () =>
  api.runtime.runPromise(Fixtures.agent({ gatewayId: api.world.gateway.id, boardId: api.world.board.id })).then((
    created
  ) => created.agent.id)

/** A gateway's body: on the simulator, named after `label`. */
const gatewayBody = (label: string) => ({
  name: `Gateway ${label}`,
  url: api.simulator.url,
  workspace_root: `/srv/${label}`,
  token: api.simulator.token!
})

let gateways = 0
/** A new gateway of the seeded organization, made by its owner. */
const freshGateway = async () => {
  const created = await run(as("owner").gateways.create({ payload: gatewayBody(`spare-${++gateways}`) }))
  return GatewayId.make(created.id)
}

/** The matrix names path parameters shortly (`{board}`, `{id}`). */
const nameInMatrix: Readonly<Record<string, string>> = {
  "{agent_id}": "{id}",
  "{gateway_id}": "{id}",
  "{board_id}": "{board}"
}

const ok = { status: 200 } as const
// A user route called with an agent token, or an agent route called by a user: no credentials it takes
const U = { status: 401, error: UnauthorizedResponse } as const
const F = { status: 403, error: ForbiddenResponse } as const
const N = { status: 404, error: NotFoundResponse } as const
type Expected = typeof ok | typeof U | typeof F | typeof N

const routes: Array<
  {
    readonly name: string
    readonly call: (client: ApiClient, caller: Caller) => Promise<Effect.Effect<unknown, unknown>>
    readonly expected: Record<Caller, Expected>
  }
> = [
  {
    name: "GET /agents",
    call: async (client) => client.agents.list({ query: {} }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: ok,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "GET /agents/stream",
    // An open stream is left at once: the answer's status is what is tested.
    call: async (client) => Effect.tap(client.agents.stream({ query: {}, headers: {} }), leaveStream),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: ok,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "POST /agents",
    call: async (client, c) => client.agents.create({ payload: { board_id: api.world.board.id, name: `New ${c}` } }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: F,
      boardAgent: F,
      boardLead: ok,
      otherBoardLead: F
    }
  },
  {
    name: "POST /agents/heartbeat",
    // A user's heartbeat by name finds the board's worker (another organization's admin: not found, so a create on a
    // board it may not access); an agent's heartbeats itself (name and board ignored).
    call: async (client) =>
      client.agents.heartbeatOrCreate({ payload: { name: "Worker", board_id: api.world.board.id } }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: ok,
      noAccess: F,
      otherOrgAdmin: F,
      boardAgent: ok,
      boardLead: ok,
      otherBoardLead: ok
    }
  },
  {
    name: "GET /agents/{id}",
    call: async (client) => client.agents.get({ params: { agent_id: workerId } }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: N,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "PATCH /agents/{id}",
    // An update re-provisions the agent with a new token: a fresh target, so the worker's token stays valid.
    call: async (client, c) =>
      client.agents.update({
        params: { agent_id: await freshWorker() },
        query: {},
        payload: { identity_template: `by ${c}` }
      }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: N,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "POST /agents/{id}/heartbeat",
    call: async (client) => client.agents.heartbeat({ params: { agent_id: workerId }, payload: {} }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: N,
      boardAgent: ok,
      boardLead: F,
      otherBoardLead: F
    }
  },
  {
    name: "DELETE /agents/{id}",
    call: async (client) => client.agents.delete({ params: { agent_id: await freshWorker() } }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: N,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "GET /agent/healthz",
    call: async (client) => client.agent.healthz(),
    expected: {
      owner: U,
      admin: U,
      boardReader: U,
      boardWriter: U,
      noAccess: U,
      otherOrgAdmin: U,
      boardAgent: ok,
      boardLead: ok,
      otherBoardLead: ok
    }
  },
  {
    name: "GET /agent/agents",
    call: async (client) => client.agent.listAgents({ query: {} }),
    expected: {
      owner: U,
      admin: U,
      boardReader: U,
      boardWriter: U,
      noAccess: U,
      otherOrgAdmin: U,
      boardAgent: ok,
      boardLead: ok,
      otherBoardLead: ok
    }
  },
  {
    name: "POST /agent/agents",
    call: async (client, c) => client.agent.createAgent({ payload: { name: `Helper of ${c}` } }),
    expected: {
      owner: U,
      admin: U,
      boardReader: U,
      boardWriter: U,
      noAccess: U,
      otherOrgAdmin: U,
      boardAgent: F,
      boardLead: ok,
      otherBoardLead: ok
    }
  },
  {
    name: "POST /agent/heartbeat",
    call: async (client) => client.agent.heartbeat({ payload: { name: "ignored" } }),
    expected: {
      owner: U,
      admin: U,
      boardReader: U,
      boardWriter: U,
      noAccess: U,
      otherOrgAdmin: U,
      boardAgent: ok,
      boardLead: ok,
      otherBoardLead: ok
    }
  },
  {
    name: "DELETE /agent/boards/{board}/agents/{id}",
    call: async (client) =>
      client.agent.deleteBoardAgent({ params: { board_id: api.world.board.id, agent_id: await freshWorker() } }),
    expected: {
      owner: U,
      admin: U,
      boardReader: U,
      boardWriter: U,
      noAccess: U,
      otherOrgAdmin: U,
      boardAgent: F,
      boardLead: ok,
      otherBoardLead: F
    }
  },
  {
    name: "POST /boards/{board}/lead",
    call: async (client) => client.boards.ensureLead({ params: { board_id: api.world.board.id }, payload: {} }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: ok,
      noAccess: F,
      otherOrgAdmin: F,
      boardAgent: F,
      boardLead: F,
      otherBoardLead: F
    }
  },
  {
    name: "GET /gateways",
    call: async (client) => client.gateways.list({ query: {} }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: ok,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "POST /gateways",
    call: async (client, c) => client.gateways.create({ payload: gatewayBody(`by-${c}`) }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: ok,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "GET /gateways/{id}",
    call: async (client) => client.gateways.get({ params: { gateway_id: api.world.gateway.id } }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: N,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "PATCH /gateways/{id}",
    call: async (client, c) =>
      client.gateways.update({ params: { gateway_id: await freshGateway() }, payload: { name: `Renamed by ${c}` } }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: N,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "DELETE /gateways/{id}",
    call: async (client) => client.gateways.delete({ params: { gateway_id: await freshGateway() } }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: N,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  },
  {
    name: "POST /gateways/{id}/templates/sync",
    call: async (client) =>
      client.gateways.syncTemplates({
        params: { gateway_id: api.world.gateway.id },
        query: { include_main: false },
        headers: {}
      }),
    expected: {
      owner: ok,
      admin: ok,
      boardReader: F,
      boardWriter: F,
      noAccess: F,
      otherOrgAdmin: N,
      boardAgent: U,
      boardLead: U,
      otherBoardLead: U
    }
  }
]

describe("authorization matrix over HTTP", () => {
  for (const route of routes) {
    for (const caller of callers) {
      const expected = route.expected[caller]
      it(`${route.name} as ${caller} → ${expected.status}`, async () => {
        const outcome = await outcomeOf(await route.call(as(caller), caller))
        if ("error" in expected) {
          assert.strictEqual(outcome._tag, "Failure", `expected ${expected.error.name}`)
          if (outcome._tag === "Failure") assert.instanceOf(outcome.failure, expected.error)
        } else {
          assert.strictEqual(
            outcome._tag,
            "Success",
            outcome._tag === "Failure" ? JSON.stringify(outcome.failure) : undefined
          )
        }
      })
    }
  }
})

it("the matrix covers every route of the API", () => {
  const documented = Object.entries(openApiDocument().paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) =>
      `${method.toUpperCase()} ${
        path.slice(apiPrefix.length).replace(/\{[a-z_]+\}/g, (name) => nameInMatrix[name] ?? name)
      }`
    )
  )
  assert.sameMembers(routes.map((route) => route.name), documented)
})
