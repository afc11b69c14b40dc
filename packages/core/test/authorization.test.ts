import { assert, describe, it } from "@effect/vitest"
import {
  Actor,
  AgentCreate,
  AgentUpdate,
  createAgent,
  createAgentAsLead,
  deleteAgent,
  deleteAgentAsLead,
  ensureBoardLead,
  getAgent,
  getGateway,
  heartbeatAgent,
  heartbeatOrCreateAgent,
  listAgents,
  listAgentsForAgent,
  streamAgents,
  syncGatewayTemplatesAsAdmin,
  updateAgent
} from "@mission-control/core"
import type { Agent, User } from "@mission-control/core"
import { Fixtures } from "@mission-control/core/testing"
import { Effect, Schema, Stream } from "effect"
import { testLayer } from "./support/layer.js"

/** The callers of the matrix. */
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
type Outcome = "ok" | "Forbidden" | "NotFound" | "Unauthorized" | "n/a"

const scenario = Effect.gen(function*() {
  // Room for the workers the leads create: a board takes one by default.
  const world = yield* Fixtures.world({ board: { maxAgents: 10 } })
  const secondBoard = yield* Fixtures.board(world.organization.id, world.gateway.id, { name: "Second" })
  const { agent: worker } = yield* Fixtures.agent({
    gatewayId: world.gateway.id,
    boardId: world.board.id,
    name: "Worker"
  })
  const { agent: lead } = yield* Fixtures.agent({
    gatewayId: world.gateway.id,
    boardId: world.board.id,
    isBoardLead: true,
    name: "Lead"
  })
  const { agent: otherLead } = yield* Fixtures.agent({
    gatewayId: world.gateway.id,
    boardId: secondBoard.id,
    isBoardLead: true,
    name: "Other Lead"
  })
  const users: Record<Caller, User | null> = {
    owner: world.owner,
    admin: world.admin,
    boardReader: world.reader,
    boardWriter: world.writer,
    noAccess: world.outsider,
    otherOrgAdmin: world.other.admin,
    boardAgent: null,
    boardLead: null,
    otherBoardLead: null
  }
  const agents: Record<Caller, Agent | null> = {
    owner: null,
    admin: null,
    boardReader: null,
    boardWriter: null,
    noAccess: null,
    otherOrgAdmin: null,
    boardAgent: worker,
    boardLead: lead,
    otherBoardLead: otherLead
  }
  return { world, worker, lead, users, agents }
})

type Scenario = Effect.Success<typeof scenario>
type Run = (s: Scenario, caller: Caller) => Effect.Effect<unknown, { readonly _tag: string }, never> | undefined

const asActor = (s: Scenario, caller: Caller) => {
  const agent = s.agents[caller]
  return agent === null ? Actor.user(s.users[caller]!) : Actor.agent(agent)
}
const userOnly = (s: Scenario, caller: Caller) => s.users[caller]
const agentOnly = (s: Scenario, caller: Caller) => s.agents[caller]

// Each program, what it is asked, and what each caller gets. "n/a": that kind of caller cannot reach the program
// (user-only programs sit behind user authentication; lead-only ones behind agent authentication).
const programs: Array<{ readonly name: string; readonly run: Run; readonly expected: Record<Caller, Outcome> }> = [
  {
    name: "listAgents",
    run: (s, c) => userOnly(s, c) === null ? undefined : listAgents(userOnly(s, c), { limit: 200, offset: 0 }) as never,
    expected: {
      owner: "ok",
      admin: "ok",
      boardReader: "Forbidden",
      boardWriter: "Forbidden",
      noAccess: "Forbidden",
      otherOrgAdmin: "ok",
      boardAgent: "n/a",
      boardLead: "n/a",
      otherBoardLead: "n/a"
    }
  },
  {
    name: "getAgent",
    run: (s, c) => userOnly(s, c) === null ? undefined : getAgent(userOnly(s, c), s.worker.id) as never,
    expected: {
      owner: "ok",
      admin: "ok",
      boardReader: "Forbidden",
      boardWriter: "Forbidden",
      noAccess: "Forbidden",
      otherOrgAdmin: "NotFound",
      boardAgent: "n/a",
      boardLead: "n/a",
      otherBoardLead: "n/a"
    }
  },
  {
    name: "createAgent",
    run: (s, c) =>
      createAgent(
        asActor(s, c),
        Schema.decodeUnknownSync(AgentCreate)({ board_id: s.world.board.id, name: `New ${c}` })
      ) as never,
    expected: {
      owner: "ok",
      admin: "ok",
      boardReader: "Forbidden",
      boardWriter: "Forbidden",
      noAccess: "Forbidden",
      otherOrgAdmin: "Forbidden",
      boardAgent: "Forbidden",
      boardLead: "ok",
      otherBoardLead: "Forbidden"
    }
  },
  {
    name: "createAgentAsLead",
    run: (s, c) =>
      agentOnly(s, c) === null
        ? undefined
        : createAgentAsLead(
          agentOnly(s, c)!,
          Schema.decodeUnknownSync(AgentCreate)({ board_id: s.world.board.id, name: `New ${c}` })
        ) as never,
    // A lead always creates on its own board: the body's board_id is replaced, as in the reference.
    expected: {
      owner: "n/a",
      admin: "n/a",
      boardReader: "n/a",
      boardWriter: "n/a",
      noAccess: "n/a",
      otherOrgAdmin: "n/a",
      boardAgent: "Forbidden",
      boardLead: "ok",
      otherBoardLead: "ok"
    }
  },
  {
    name: "updateAgent",
    run: (s, c) =>
      userOnly(s, c) === null
        ? undefined
        : updateAgent(userOnly(s, c), s.worker.id, Schema.decodeUnknownSync(AgentUpdate)({ name: "Renamed" }), {
          force: false
        }) as never,
    expected: {
      owner: "ok",
      admin: "ok",
      boardReader: "Forbidden",
      boardWriter: "Forbidden",
      noAccess: "Forbidden",
      otherOrgAdmin: "NotFound",
      boardAgent: "n/a",
      boardLead: "n/a",
      otherBoardLead: "n/a"
    }
  },
  {
    name: "heartbeatAgent",
    run: (s, c) => heartbeatAgent(asActor(s, c), s.worker.id, null) as never,
    expected: {
      owner: "ok",
      admin: "ok",
      boardReader: "Forbidden",
      boardWriter: "Forbidden",
      noAccess: "Forbidden",
      otherOrgAdmin: "NotFound",
      boardAgent: "ok",
      boardLead: "Forbidden",
      otherBoardLead: "Forbidden"
    }
  },
  {
    name: "heartbeatOrCreateAgent",
    run: (s, c) =>
      heartbeatOrCreateAgent(asActor(s, c), { name: "Worker", boardId: s.world.board.id, status: null }) as never,
    // Kept from the reference: a user with board write access may heartbeat an existing agent; agents heartbeat themselves.
    expected: {
      owner: "ok",
      admin: "ok",
      boardReader: "Forbidden",
      boardWriter: "ok",
      noAccess: "Forbidden",
      // The name is looked up in the caller's organization only, so another organization's "Worker" is not found
      // and the create path answers for the foreign board as createAgent does.
      otherOrgAdmin: "Forbidden",
      boardAgent: "ok",
      boardLead: "ok",
      otherBoardLead: "ok"
    }
  },
  {
    name: "deleteAgent",
    run: (s, c) => userOnly(s, c) === null ? undefined : deleteAgent(userOnly(s, c), s.worker.id) as never,
    expected: {
      owner: "ok",
      admin: "ok",
      boardReader: "Forbidden",
      boardWriter: "Forbidden",
      noAccess: "Forbidden",
      otherOrgAdmin: "NotFound",
      boardAgent: "n/a",
      boardLead: "n/a",
      otherBoardLead: "n/a"
    }
  },
  {
    name: "deleteAgentAsLead",
    run: (s, c) =>
      agentOnly(s, c) === null
        ? undefined
        : deleteAgentAsLead(agentOnly(s, c)!, s.world.board.id, s.worker.id) as never,
    expected: {
      owner: "n/a",
      admin: "n/a",
      boardReader: "n/a",
      boardWriter: "n/a",
      noAccess: "n/a",
      otherOrgAdmin: "n/a",
      boardAgent: "Forbidden",
      boardLead: "ok",
      otherBoardLead: "Forbidden"
    }
  },
  {
    name: "listAgentsForAgent",
    run: (s, c) =>
      agentOnly(s, c) === null
        ? undefined
        : listAgentsForAgent(agentOnly(s, c)!, { boardId: s.world.board.id, limit: 200, offset: 0 }) as never,
    expected: {
      owner: "n/a",
      admin: "n/a",
      boardReader: "n/a",
      boardWriter: "n/a",
      noAccess: "n/a",
      otherOrgAdmin: "n/a",
      boardAgent: "ok",
      boardLead: "ok",
      otherBoardLead: "Forbidden"
    }
  },
  {
    name: "streamAgents",
    run: (s, c) =>
      userOnly(s, c) === null
        ? undefined
        : streamAgents(userOnly(s, c), {}).pipe(
          Effect.flatMap((stream) => Stream.runDrain(Stream.take(stream, 0)))
        ) as never,
    expected: {
      owner: "ok",
      admin: "ok",
      boardReader: "Forbidden",
      boardWriter: "Forbidden",
      noAccess: "Forbidden",
      otherOrgAdmin: "ok",
      boardAgent: "n/a",
      boardLead: "n/a",
      otherBoardLead: "n/a"
    }
  },
  {
    name: "ensureBoardLead",
    run: (s, c) => ensureBoardLead(asActor(s, c), s.world.board.id) as never,
    expected: {
      owner: "ok",
      admin: "ok",
      boardReader: "Forbidden",
      boardWriter: "ok",
      noAccess: "Forbidden",
      otherOrgAdmin: "Forbidden",
      boardAgent: "Forbidden",
      boardLead: "Forbidden",
      otherBoardLead: "Forbidden"
    }
  },
  {
    name: "syncGatewayTemplatesAsAdmin",
    run: (s, c) =>
      userOnly(s, c) === null
        ? undefined
        : syncGatewayTemplatesAsAdmin(userOnly(s, c), s.world.gateway.id, {}) as never,
    expected: {
      owner: "ok",
      admin: "ok",
      boardReader: "Forbidden",
      boardWriter: "Forbidden",
      noAccess: "Forbidden",
      otherOrgAdmin: "NotFound",
      boardAgent: "n/a",
      boardLead: "n/a",
      otherBoardLead: "n/a"
    }
  },
  {
    name: "getGateway",
    run: (s, c) => userOnly(s, c) === null ? undefined : getGateway(userOnly(s, c), s.world.gateway.id) as never,
    expected: {
      owner: "ok",
      admin: "ok",
      boardReader: "Forbidden",
      boardWriter: "Forbidden",
      noAccess: "Forbidden",
      otherOrgAdmin: "NotFound",
      boardAgent: "n/a",
      boardLead: "n/a",
      otherBoardLead: "n/a"
    }
  }
]

describe("authorization matrix", () => {
  for (const program of programs) {
    describe(program.name, () => {
      for (const caller of callers) {
        const expected = program.expected[caller]
        it.effect(`${caller} → ${expected}`, () =>
          Effect.gen(function*() {
            const s = yield* scenario
            const run = program.run(s, caller)
            if (expected === "n/a") {
              assert.isUndefined(run)
              return
            }
            assert.isDefined(run)
            const exit = yield* Effect.result(run!)
            const outcome = exit._tag === "Success" ? "ok" : exit.failure._tag
            assert.strictEqual(outcome, expected)
          }).pipe(Effect.provide(testLayer())))
      }
    })
  }

  it.effect("a user-only program called with no user is 401", () =>
    Effect.gen(function*() {
      const error = yield* listAgents(null, { limit: 1, offset: 0 }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "Unauthorized")
      const orphan = yield* Fixtures.user()
      assert.strictEqual((yield* getAgent(orphan, crypto.randomUUID() as never).pipe(Effect.flip))._tag, "Forbidden")
    }).pipe(Effect.provide(testLayer())))
})
