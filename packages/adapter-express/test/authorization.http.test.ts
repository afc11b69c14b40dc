// The authorization matrix over HTTP, through the typed client: every route against the nine kinds of caller.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import { Board, BoardRepository, ensureGatewayMainAgent, GatewayId, gatewayMainSessionKey } from "@mission-control/core"
import {
  apiPrefix,
  ForbiddenResponse,
  NotFoundResponse,
  openApiDocument,
  UnauthorizedResponse,
  UnprocessableResponse
} from "@mission-control/core/http"
import { Fixtures } from "@mission-control/core/testing"
import { Effect } from "effect"
import express from "express"
import type { ApiClient, Identity } from "./harness.js"
import { leaveStream, outcomeOf, run, startApi, tokenOnGateway } from "./harness.js"

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
type Caller = typeof callers[number] | "gatewayAgent"
type Api = Awaited<ReturnType<typeof startApi>>

let api: Api
let tokens: Record<"boardAgent" | "boardLead" | "otherBoardLead", string>
let workerId: string
/** A worker provisioned on the simulator, whose workspace (its SOUL.md) the coordination routes read. */
let provisionedId: string

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
  // The gateway's own agent, provisioned on the simulator: an admin's template sync provisions it again (a new
  // token in its workspace), so its token is read from there at each call.
  await api.runtime.runPromise(ensureGatewayMainAgent(world.gateway, world.owner, { action: "provision", wake: false }))
  workerId = worker.agent.id
  tokens = {
    boardAgent: worker.token,
    boardLead: lead.token,
    otherBoardLead: otherLead.token
  }
  // Room for the workers the lead creates in the matrix (the board allows one by default).
  await api.runtime.runPromise(
    Effect.flatMap(
      BoardRepository,
      (boards) => boards.update(new Board({ ...world.board, maxAgents: 50 }), ["maxAgents"])
    )
  )
  provisionedId = (await run(
    api.clientAs({ user: world.owner }).agents.create({ payload: { board_id: world.board.id, name: "Provisioned" } })
  )).id
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
  if (caller === "gatewayAgent") {
    return {
      agentToken: tokenOnGateway(api.simulator, { openclaw_session_id: gatewayMainSessionKey(world.gateway.id) })!
    }
  }
  return caller in users
    ? { user: users[caller as keyof typeof users] }
    : { agentToken: tokens[caller as keyof typeof tokens] }
}

const clients = new Map<Caller, ApiClient>()
/** The typed client signed in as `caller`. */
const as = (caller: Caller): ApiClient => {
  if (caller === "gatewayAgent") return api.clientAs(identityOf(caller))
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
const I = { status: 422, error: UnprocessableResponse } as const
type Expected = typeof ok | typeof U | typeof F | typeof N | typeof I

const routes: Array<
  {
    readonly name: string
    readonly call: (client: ApiClient, caller: Caller) => Promise<Effect.Effect<unknown, unknown>>
    /** Every caller's answer; the gateway's own agent is tested where it is given. */
    readonly expected: Record<Exclude<Caller, "gatewayAgent">, Expected> & { readonly gatewayAgent?: Expected }
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
  },
  ...boardRows(),
  ...gatewayOperatorRows(),
  ...reconcileRows(),
  ...adoptionRows(),
  ...coordinationRows(),
  ...probeRows()
]

type Row = (typeof routes)[number]

/** Boards and their memory: members read what they may, org admins create, writers change and delete. */
function boardRows(): ReadonlyArray<Row> {
  const agents = { boardAgent: U, boardLead: U, otherBoardLead: U, gatewayAgent: U } as const
  const users = { owner: U, admin: U, boardReader: U, boardWriter: U, noAccess: U, otherOrgAdmin: U } as const
  const readers = { owner: ok, admin: ok, boardReader: ok, boardWriter: ok, noAccess: F, otherOrgAdmin: F } as const
  const writers = { ...readers, boardReader: F } as const
  const boardAgents = { boardAgent: ok, boardLead: ok, otherBoardLead: F, gatewayAgent: ok } as const
  const board = () => ({ board_id: api.world.board.id })
  let boards = 0
  /** A board of the seeded organization without a gateway: deleting it calls no gateway. */
  const freshBoard = async () =>
    (await api.runtime.runPromise(
      Fixtures.board(api.world.organization.id, null, { name: `Spare ${++boards}`, slug: `spare-${boards}` })
    )).id
  return [
    {
      name: "GET /boards",
      call: async (client) => client.boards.list({ query: {} }),
      // Every member lists what they may read (nothing, for a member without grants); another organization's its own.
      expected: { ...readers, noAccess: ok, otherOrgAdmin: ok, ...agents }
    },
    {
      name: "POST /boards",
      call: async (client, caller) =>
        client.boards.create({
          payload: {
            name: `Board of ${caller}`,
            slug: `board-of-${caller.toLowerCase()}`,
            description: "made in the matrix",
            gateway_id: api.world.gateway.id
          }
        }),
      // Another organization's admin may create boards, but not on our gateway: 422 "gateway_id is invalid".
      expected: { ...writers, boardWriter: F, otherOrgAdmin: I, ...agents }
    },
    {
      name: "GET /boards/{board}",
      call: async (client) => client.boards.get({ params: board() }),
      expected: { ...readers, ...agents }
    },
    {
      name: "PATCH /boards/{board}",
      call: async (client, caller) =>
        client.boards.update({ params: board(), payload: { objective: `objective of ${caller}` } }),
      expected: { ...writers, ...agents }
    },
    {
      name: "DELETE /boards/{board}",
      call: async (client) => client.boards.delete({ params: { board_id: await freshBoard() } }),
      // The spare board has no grants: only the owner (every board) may delete it.
      expected: { ...writers, admin: F, boardWriter: F, ...agents }
    },
    {
      name: "GET /boards/{board}/memory",
      call: async (client) => client.boards.listMemory({ params: board(), query: {} }),
      expected: { ...readers, ...boardAgents }
    },
    {
      name: "POST /boards/{board}/memory",
      call: async (client, caller) =>
        client.boards.createMemory({ params: board(), payload: { content: `a note of ${caller}` } }),
      expected: { ...writers, ...boardAgents }
    },
    {
      name: "GET /agent/boards",
      call: async (client) => client.agentBoards.list({ query: {} }),
      expected: { ...users, boardAgent: ok, boardLead: ok, otherBoardLead: ok, gatewayAgent: ok }
    },
    {
      name: "GET /agent/boards/{board}",
      call: async (client) => client.agentBoards.get({ params: board() }),
      expected: { ...users, ...boardAgents }
    },
    {
      name: "GET /agent/boards/{board}/memory",
      call: async (client) => client.agentBoards.listMemory({ params: board(), query: {} }),
      expected: { ...users, ...boardAgents }
    },
    {
      name: "POST /agent/boards/{board}/memory",
      call: async (client, caller) =>
        client.agentBoards.createMemory({ params: board(), payload: { content: `a note of ${caller}` } }),
      expected: { ...users, ...boardAgents }
    }
  ]
}

/** The gateway operator's routes: org admins, for a board they can read (writing, to message a session). */
function gatewayOperatorRows(): ReadonlyArray<Row> {
  const adminsOfTheBoard: Row["expected"] = {
    owner: ok,
    admin: ok,
    boardReader: F,
    boardWriter: F,
    noAccess: F,
    // An admin of another organization, with our board: 403 "No org access".
    otherOrgAdmin: F,
    boardAgent: U,
    boardLead: U,
    otherBoardLead: U
  }
  const board = () => ({ board_id: api.world.board.id })
  const mainSession = () => gatewayMainSessionKey(api.world.gateway.id)
  return [
    {
      name: "GET /gateways/status",
      call: async (client) => client.gatewaySessions.status({ query: board() }),
      expected: adminsOfTheBoard
    },
    {
      name: "GET /gateways/sessions",
      call: async (client) => client.gatewaySessions.sessions({ query: board() }),
      expected: adminsOfTheBoard
    },
    {
      name: "GET /gateways/sessions/{session_id}",
      call: async (client) => client.gatewaySessions.session({ params: { session_id: mainSession() }, query: board() }),
      expected: adminsOfTheBoard
    },
    {
      name: "GET /gateways/sessions/{session_id}/history",
      call: async (client) => client.gatewaySessions.history({ params: { session_id: mainSession() }, query: board() }),
      expected: adminsOfTheBoard
    },
    {
      name: "POST /gateways/sessions/{session_id}/message",
      call: async (client, caller) =>
        client.gatewaySessions.message({
          params: { session_id: mainSession() },
          query: board(),
          payload: { content: `hello from ${caller}` }
        }),
      expected: adminsOfTheBoard
    },
    {
      name: "GET /gateways/commands",
      call: async (client) => client.gatewaySessions.commands({ query: {} }),
      // No board: any org admin, of their own organization.
      expected: { ...adminsOfTheBoard, otherOrgAdmin: ok }
    }
  ]
}

/** The reconciler of a gateway: its organization's admins (another organization's: 404). */
function reconcileRows(): ReadonlyArray<Row> {
  const admins = {
    owner: ok,
    admin: ok,
    boardReader: F,
    boardWriter: F,
    noAccess: F,
    otherOrgAdmin: N,
    boardAgent: U,
    boardLead: U,
    otherBoardLead: U,
    gatewayAgent: U
  } as const
  const gateway = () => ({ gateway_id: api.world.gateway.id })
  return [
    {
      name: "GET /gateways/{id}/reconcile",
      call: async (client) => client.reconcile.plan({ params: gateway() }),
      expected: admins
    },
    {
      name: "POST /gateways/{id}/reconcile",
      call: async (client) => client.reconcile.apply({ params: gateway(), query: {} }),
      expected: admins
    }
  ]
}

/**
 * Adopting gateway agents: discovery for the gateway's organization's admins (another organization's: 404), linking
 * for org admins with write access to the board (another organization's: 403 "No org access"), unlinking for org
 * admins with write access to the agent (another organization's: 404).
 */
function adoptionRows(): ReadonlyArray<Row> {
  const agents = { boardAgent: U, boardLead: U, otherBoardLead: U, gatewayAgent: U } as const
  const admins = { owner: ok, admin: ok, boardReader: F, boardWriter: F, noAccess: F, ...agents } as const
  let orphans = 0
  /** A gateway agent no record manages, put on the simulator for one call. */
  const freshOrphan = () => {
    const id = `mc-00000000-0000-4000-8000-${String(++orphans).padStart(12, "0")}`
    api.simulator.putAgent(id, `/srv/openclaw/workspace-${id}`)
    return id
  }
  return [
    {
      name: "GET /gateways/{id}/discover-agents",
      call: async (client) => client.agentAdoption.discover({ params: { gateway_id: api.world.gateway.id } }),
      expected: { ...admins, otherOrgAdmin: N }
    },
    {
      name: "POST /agents/link",
      call: async (client, caller) =>
        client.agentAdoption.link({
          payload: { gateway_agent_id: freshOrphan(), board_id: api.world.board.id, name: `Adopted by ${caller}` }
        }),
      expected: { ...admins, otherOrgAdmin: F }
    },
    {
      name: "POST /agents/{id}/unlink",
      call: async (client) => client.agentAdoption.unlink({ params: { agent_id: await freshWorker() } }),
      expected: { ...admins, otherOrgAdmin: N }
    }
  ]
}

/** Agents coordinating: board leads for their board's agents, the gateway's own agent for every board's lead. */
function coordinationRows(): ReadonlyArray<Row> {
  const users = { owner: U, admin: U, boardReader: U, boardWriter: U, noAccess: U, otherOrgAdmin: U } as const
  const theBoardsLead = { ...users, boardAgent: F, boardLead: ok, otherBoardLead: F, gatewayAgent: F } as const
  const theGatewayAgent = { ...users, boardAgent: F, boardLead: F, otherBoardLead: F, gatewayAgent: ok } as const
  const agentPath = () => ({ board_id: api.world.board.id, agent_id: provisionedId })
  return [
    {
      name: "POST /agent/boards/{board}/agents/{id}/nudge",
      call: async (client, caller) =>
        client.agentCoordination.nudgeAgent({ params: agentPath(), payload: { message: `nudge from ${caller}` } }),
      expected: theBoardsLead
    },
    {
      name: "GET /agent/boards/{board}/agents/{id}/soul",
      call: async (client) => client.agentCoordination.getAgentSoul({ params: agentPath() }),
      expected: theBoardsLead
    },
    {
      name: "PUT /agent/boards/{board}/agents/{id}/soul",
      call: async (client, caller) =>
        client.agentCoordination.updateAgentSoul({
          params: agentPath(),
          payload: { content: `# Soul written by ${caller}\n` }
        }),
      expected: theBoardsLead
    },
    {
      name: "POST /agent/boards/{board}/gateway/main/ask-user",
      call: async (client, caller) =>
        client.agentCoordination.askUserViaGatewayMain({
          params: { board_id: api.world.board.id },
          payload: { content: `question from ${caller}` }
        }),
      expected: theBoardsLead
    },
    {
      name: "POST /agent/gateway/boards/{board}/lead/message",
      call: async (client, caller) =>
        client.agentCoordination.messageBoardLead({
          params: { board_id: api.world.board.id },
          payload: { content: `message from ${caller}` }
        }),
      expected: theGatewayAgent
    },
    {
      name: "POST /agent/gateway/leads/broadcast",
      call: async (client, caller) =>
        client.agentCoordination.broadcastLeadMessage({ payload: { content: `broadcast from ${caller}` } }),
      expected: theGatewayAgent
    }
  ]
}

/** The probes: anyone, signed in or not. */
function probeRows(): ReadonlyArray<Row> {
  const anyone = { ...Object.fromEntries(callers.map((caller) => [caller, ok])), gatewayAgent: ok } as Record<
    Caller,
    Expected
  >
  return [
    { name: "GET /health", call: async (client) => client.health.health(), expected: anyone },
    { name: "GET /healthz", call: async (client) => client.health.healthz(), expected: anyone },
    { name: "GET /readyz", call: async (client) => client.health.readyz(), expected: anyone }
  ]
}

describe("authorization matrix over HTTP", () => {
  for (const route of routes) {
    for (const caller of [...callers, "gatewayAgent"] as const) {
      const expected = route.expected[caller]
      if (expected === undefined) continue
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
        (path.startsWith(apiPrefix) ? path.slice(apiPrefix.length) : path).replace(/\{[a-z_]+\}/g, (name) =>
          nameInMatrix[name] ?? name)
      }`
    )
  )
  assert.sameMembers(routes.map((route) => route.name), documented)
})
