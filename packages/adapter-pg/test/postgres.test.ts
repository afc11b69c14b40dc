// Behaviour only a real Postgres server shows: several processes on one database, killed connections, concurrent
// migrations. Each "process" here is a separate pool, change listener and lock connection, as in separate servers.
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Cause, Chunk, Effect, Exit, Fiber, Layer, ManagedRuntime, Option, Redacted, Schema, Stream } from "effect"
import pg from "pg"
import {
  Actor,
  AgentChanges,
  subscribeAgentChanges,
  AgentCreate,
  AgentRepository,
  createAgent,
  deleteAgent,
  ensureBoardLeadAgent,
  heartbeatAgent,
  TaskRepository,
  Transactor
} from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import { describeConnection, layer, migrate, redactUrl } from "@mission-control/adapter-pg"
import { countStatements, createDatabase, serverReachable } from "@mission-control/adapter-pg/testing"

const reachable = await serverReachable()
if (!reachable) console.warn("No Postgres server: the multi-process Postgres tests are skipped (PGlite is one process).")

const databases: Array<{ readonly drop: () => Promise<void> }> = []
afterAll(async () => {
  for (const database of databases) await database.drop()
})

const freshConfig = async () => {
  const database = await createDatabase()
  databases.push(database)
  return { url: Redacted.make(database.url), maxConnections: 10 }
}

const sleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** Two processes on one database, sharing one (in-memory) gateway, as two servers in front of one gateway would. */
const twoProcesses = async () => {
  const config = await freshConfig()
  const gateway = await Effect.runPromise(Effect.scoped(Layer.build(TestKit.layerGateway())))
  const process = () => ManagedRuntime.make(Layer.mergeAll(layer(config), TestKit.layerServices, Layer.succeedContext(gateway)))
  const first = process()
  const second = process()
  await first.runtime()
  await second.runtime()
  return { config, first, second, dispose: () => Promise.all([first.dispose(), second.dispose()]) }
}

const query = async (url: Redacted.Redacted<string>, text: string) => {
  const client = new pg.Client({ connectionString: Redacted.value(url) })
  await client.connect()
  try {
    return (await client.query(text)).rows
  } finally {
    await client.end()
  }
}

describe.skipIf(!reachable)("Postgres across processes", () => {
  it("50 concurrent ensureBoardLeadAgent calls from two processes leave one lead, and all callers get it", async () => {
    const { first, second, dispose } = await twoProcesses()
    try {
      const world = await first.runPromise(Fixtures.world())
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          (index % 2 === 0 ? first : second).runPromise(ensureBoardLeadAgent(world.board, world.owner)))
      )
      const ids = new Set(results.map((result) => result.agent.id))
      assert.strictEqual(ids.size, 1)
      assert.strictEqual(results.filter((result) => result.created).length, 1)
      const lead = await first.runPromise(Effect.flatMap(AgentRepository, (repo) => repo.findLead(world.board.id)))
      assert.isTrue(ids.has(Option.getOrThrow(lead).id))
    } finally {
      await dispose()
    }
  })

  it("20 concurrent creates of one name give one success and conflicts, never a 500", async () => {
    const { first, second, dispose } = await twoProcesses()
    try {
      const world = await first.runPromise(Fixtures.world())
      const body = Schema.decodeUnknownSync(AgentCreate)({ board_id: world.board.id, name: "Twin" })
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          (index % 2 === 0 ? first : second).runPromiseExit(createAgent(Actor.user(world.owner), body)))
      )
      const successes = outcomes.filter(Exit.isSuccess)
      assert.strictEqual(successes.length, 1)
      for (const outcome of outcomes.filter(Exit.isFailure)) {
        const failure = Chunk.toReadonlyArray(Cause.failures(outcome.cause))[0]
        assert.strictEqual(failure?._tag, "Conflict")
        // Which of the reference's two texts depends on which check saw the winner first.
        assert.include(
          ["An agent with this name already exists on this board.", "An agent with this name already exists in this gateway workspace."],
          failure !== undefined && "detail" in failure ? failure.detail : undefined
        )
      }
    } finally {
      await dispose()
    }
  })

  it("a change in one process reaches subscribers of the other, and a lost listener catches up", async () => {
    const { config, first, second, dispose } = await twoProcesses()
    try {
      const world = await first.runPromise(Fixtures.world())
      const { agent } = await first.runPromise(Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id }))
      const collected = second.runFork(Effect.scoped(Effect.gen(function*() {
        const stream = yield* subscribeAgentChanges(undefined)
        return Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(stream, 3)))
      })))
      await Effect.runPromise(sleep(100))
      await first.runPromise(heartbeatAgent(Actor.agent(agent), agent.id, "one"))
      // Cut the second process's listener and change things while it is away.
      const killed = await query(
        config.url,
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'mission-control-listener'"
      )
      assert.isAbove(killed.length, 0)
      await first.runPromise(heartbeatAgent(Actor.agent(agent), agent.id, "two"))
      await first.runPromise(heartbeatAgent(Actor.agent(agent), agent.id, "three"))
      const seen = await Effect.runPromise(Fiber.join(collected).pipe(Effect.timeout("20 seconds")))
      assert.deepStrictEqual(seen.map((change) => change.agent?.status), ["one", "two", "three"])
      assert.isTrue(seen.every((change, index) => index === 0 || change.sequence > seen[index - 1]!.sequence))
    } finally {
      await dispose()
    }
  })

  it("reads no change while nobody subscribes; a later subscriber still gets everything after its sequence, once", async () => {
    const { first, second, dispose } = await twoProcesses()
    const counter = countStatements()
    try {
      const world = await first.runPromise(Fixtures.world())
      const { agent } = await first.runPromise(Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id }))
      const before = await second.runPromise(Effect.flatMap(AgentChanges, (changes) => changes.currentSequence))
      await Effect.runPromise(sleep(200))
      counter.reset()
      for (let beat = 1; beat <= 20; beat++) await first.runPromise(heartbeatAgent(Actor.agent(agent), agent.id, `beat-${beat}`))
      await Effect.runPromise(sleep(300))
      // Twenty notifications reached both processes' hubs; neither read the change table.
      assert.strictEqual(counter.count(/FROM mc_agent_changes\s+WHERE sequence >/), 0)

      const collected = second.runFork(Effect.scoped(Effect.gen(function*() {
        const stream = yield* subscribeAgentChanges(before)
        return Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(stream, 22)))
      })))
      await Effect.runPromise(sleep(200))
      await first.runPromise(heartbeatAgent(Actor.agent(agent), agent.id, "beat-21"))
      await first.runPromise(heartbeatAgent(Actor.agent(agent), agent.id, "beat-22"))
      const seen = await Effect.runPromise(Fiber.join(collected).pipe(Effect.timeout("20 seconds")))
      assert.deepStrictEqual(seen.map((change) => change.agent?.status), Array.from({ length: 22 }, (_, index) => `beat-${index + 1}`))
    } finally {
      counter.stop()
      await dispose()
    }
  })

  it("heartbeats and transactions writing several agents, from two processes at once, never deadlock", async () => {
    const { first, second, dispose } = await twoProcesses()
    try {
      const world = await first.runPromise(Fixtures.world())
      const made = await first.runPromise(Effect.forEach([0, 1], () => Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })))
      const [a, b] = made.map(({ agent }) => agent) as [typeof made[0]["agent"], typeof made[0]["agent"]]
      // One process writes A then B in one transaction; the other heartbeats B and A. Were the change-feed lock taken
      // after a row lock, each would end up waiting for the other.
      const pairs = Effect.forEach(Array.from({ length: 30 }, (_, index) => index), (index) =>
        Effect.flatMap(Transactor, (transactor) =>
          transactor.withTransaction(Effect.flatMap(AgentRepository, (agents) =>
            agents.update(a.id, { status: `pair-${index}` }).pipe(
              Effect.zipRight(Effect.sleep("1 millis")),
              Effect.zipRight(agents.update(b.id, { status: `pair-${index}` }))
            )))), { concurrency: 3, discard: true })
      const beats = Effect.forEach(Array.from({ length: 60 }, (_, index) => index), (index) => {
        const agent = index % 2 === 0 ? b : a
        return heartbeatAgent(Actor.agent(agent), agent.id, `beat-${index}`)
      }, { concurrency: 6, discard: true })
      const [pairsExit, beatsExit] = await Promise.all([first.runPromiseExit(pairs), second.runPromiseExit(beats)])
      assert.isTrue(Exit.isSuccess(pairsExit), Exit.isFailure(pairsExit) ? Cause.pretty(pairsExit.cause) : "")
      assert.isTrue(Exit.isSuccess(beatsExit), Exit.isFailure(beatsExit) ? Cause.pretty(beatsExit.cause) : "")
    } finally {
      await dispose()
    }
  })

  it("a connection killed in the middle of a deletion leaves the previous state, and the next request succeeds", async () => {
    const config = await freshConfig()
    const runtime = ManagedRuntime.make(Layer.mergeAll(layer(config), TestKit.layerServices, TestKit.layerGateway()))
    try {
      const world = await runtime.runPromise(Fixtures.world())
      const { agent } = await runtime.runPromise(Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id }))
      const task = await runtime.runPromise(Fixtures.task({ assignedAgentId: agent.id, status: "in_progress" }))
      // Hold the agent row so the deletion's transaction stops inside, then kill that transaction's backend.
      const blocker = new pg.Client({ connectionString: Redacted.value(config.url) })
      await blocker.connect()
      await blocker.query("BEGIN")
      await blocker.query("SELECT 1 FROM mc_agents WHERE id = $1 FOR UPDATE", [agent.id])
      const deletion = runtime.runPromiseExit(deleteAgent(world.owner, agent.id))
      let victims: Array<unknown> = []
      for (let attempt = 0; attempt < 100 && victims.length === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        victims = await query(
          config.url,
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE application_name = 'mission-control' AND state = 'active' AND wait_event_type = 'Lock'`
        )
      }
      assert.isAbove(victims.length, 0)
      await blocker.query("ROLLBACK")
      await blocker.end()
      const exit = await deletion
      assert.isTrue(Exit.isFailure(exit))
      const stillThere = await runtime.runPromise(Effect.flatMap(AgentRepository, (repo) => repo.findById(agent.id)))
      assert.isTrue(Option.isSome(stillThere))
      const untouched = await runtime.runPromise(Effect.flatMap(TaskRepository, (repo) => repo.findById(task.id)))
      assert.deepStrictEqual([Option.getOrThrow(untouched).status, Option.getOrThrow(untouched).assignedAgentId], [
        "in_progress",
        agent.id
      ])
      assert.deepStrictEqual(await runtime.runPromise(deleteAgent(world.owner, agent.id)), { ok: true })
      const released = await runtime.runPromise(Effect.flatMap(TaskRepository, (repo) => repo.findById(task.id)))
      assert.strictEqual(Option.getOrThrow(released).status, "inbox")
    } finally {
      await runtime.dispose()
    }
  })

  it("migrations are recorded, safe to re-run, and safe when two processes start at once", async () => {
    const config = await freshConfig()
    const client = () => PgClient.layer({ url: config.url, maxConnections: 2 })
    await Promise.all([
      Effect.runPromise(migrate.pipe(Effect.provide(client()))),
      Effect.runPromise(migrate.pipe(Effect.provide(client()))),
      Effect.runPromise(migrate.pipe(Effect.provide(client())))
    ])
    const again = await Effect.runPromise(migrate.pipe(Effect.provide(client())))
    assert.deepStrictEqual(again, [])
    const recorded = await query(config.url, "SELECT migration_id, name FROM mc_migrations ORDER BY migration_id")
    assert.deepStrictEqual(recorded, [{ migration_id: 1, name: "mission_control_schema" }])
  })
})

describe("configuration", () => {
  it("never shows the password", () => {
    assert.strictEqual(redactUrl("postgres://app:s3cret@db:5432/mc"), "postgres://app:***@db:5432/mc")
    assert.strictEqual(redactUrl("not a url"), "<invalid database url>")
    assert.notInclude(describeConnection({ url: Redacted.make("postgres://app:s3cret@db/mc") }), "s3cret")
    assert.strictEqual(
      describeConnection({ host: "db", username: "app", password: Redacted.make("s3cret"), database: "mc" }),
      "postgres://app@db:5432/mc"
    )
  })

  it("a database nobody answers at fails the layer while it is built, with no password in the error", async () => {
    const started = Date.now()
    const exit = await Effect.runPromiseExit(Effect.scoped(Layer.build(layer({ url: Redacted.make("postgres://app:s3cret@127.0.0.1:1/mc") }))))
    assert.isTrue(Exit.isFailure(exit))
    const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as { readonly _tag?: string; readonly message?: string }
    assert.strictEqual(error._tag, "SqlError")
    assert.strictEqual(error.message, "PgClient: Failed to connect")
    assert.notInclude(JSON.stringify(error), "s3cret")
    assert.isBelow(Date.now() - started, 5_000)
  })
})
