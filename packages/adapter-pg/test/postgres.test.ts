// Behaviour only a real Postgres server shows: several processes on one database, killed connections, concurrent
// migrations, transactions left open. Each "process" here is a separate pool, change listener and lock session, as
// in separate servers.
import { PgClient, PgConnection } from "@effect/sql-pg"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { describeConnection, layer, migrate, redactUrl } from "@mission-control/adapter-pg"
import type { PgAgentChanges } from "@mission-control/adapter-pg"
import { countStatements, createDatabase, runStatement, serverReachable } from "@mission-control/adapter-pg/testing"
import {
  Actor,
  AgentChanges,
  AgentCreate,
  AgentRepository,
  createAgent,
  deleteAgent,
  ensureBoardLeadAgent,
  heartbeatAgent,
  subscribeAgentChanges,
  TaskRepository,
  Transactor
} from "@mission-control/core"
import type { AgentId } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import {
  Cause,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  ManagedRuntime,
  Option,
  Redacted,
  Schema,
  Scope,
  Stream
} from "effect"

/** `count` transactions, three at a time, each writing `first`, pausing, then writing `second`. */
const writeInPairs = (
  first: AgentId,
  second: AgentId,
  options: { readonly count: number; readonly pause: Duration.Input }
) =>
  Effect.forEach(
    Array.from({ length: options.count }, (_, index) => index),
    (index) =>
      Effect.flatMap(Transactor, (transactor) =>
        transactor.withTransaction(Effect.flatMap(AgentRepository, (agents) =>
          agents.update(first, { status: `pair-${index}` }).pipe(
            Effect.andThen(Effect.sleep(options.pause)),
            Effect.andThen(agents.update(second, { status: `pair-${index}` }))
          )))),
    { concurrency: 3, discard: true }
  )

const reachable = await serverReachable()
if (!reachable) {
  console.warn("No Postgres server: the multi-process Postgres tests are skipped (PGlite is one process).")
}

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
const twoProcesses = async (changes: PgAgentChanges.ChangeHubOptions = {}) => {
  const config = await freshConfig()
  const gateway = await Effect.runPromise(Effect.scoped(Layer.build(TestKit.layerGateway())))
  const process = () =>
    ManagedRuntime.make(Layer.mergeAll(layer(config, changes), TestKit.layerServices, Layer.succeedContext(gateway)))
  const first = process()
  const second = process()
  await first.context()
  await second.context()
  return { config, first, second, dispose: () => Promise.all([first.dispose(), second.dispose()]) }
}

const query = (url: Redacted.Redacted<string>, text: string) =>
  Effect.runPromise(runStatement(Redacted.value(url), text))

/** A session of its own (another client of the database), open until `close`. */
const openSession = async (url: Redacted.Redacted<string>) => {
  const scope = await Effect.runPromise(Scope.make())
  const session = await Effect.runPromise(PgConnection.make({ url }).pipe(Scope.provide(scope)))
  return {
    query: (text: string, params: ReadonlyArray<unknown> = []) => Effect.runPromise(session.query(text, params)),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

describe.skipIf(!reachable)("Postgres across processes", () => {
  it("50 concurrent ensureBoardLeadAgent calls from two processes leave one lead, and all callers get it", async () => {
    const { first, second, dispose } = await twoProcesses()
    try {
      const world = await first.runPromise(Fixtures.world())
      const results = await Promise.all(
        Array.from(
          { length: 50 },
          (_, index) => (index % 2 === 0 ? first : second).runPromise(ensureBoardLeadAgent(world.board, world.owner))
        )
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
        Array.from(
          { length: 20 },
          (_, index) => (index % 2 === 0 ? first : second).runPromiseExit(createAgent(Actor.user(world.owner), body))
        )
      )
      const successes = outcomes.filter(Exit.isSuccess)
      assert.strictEqual(successes.length, 1)
      for (const outcome of outcomes.filter(Exit.isFailure)) {
        const failure = outcome.cause.reasons.filter(Cause.isFailReason).map((reason) => reason.error)[0]
        assert.strictEqual(failure?._tag, "Conflict")
        // Which of the reference's two texts depends on which check saw the winner first.
        assert.include(
          [
            "An agent with this name already exists on this board.",
            "An agent with this name already exists in this gateway workspace."
          ],
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
        return yield* Stream.runCollect(Stream.take(stream, 3))
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
      for (let beat = 1; beat <= 20; beat++) {
        await first.runPromise(heartbeatAgent(Actor.agent(agent), agent.id, `beat-${beat}`))
      }
      await Effect.runPromise(sleep(300))
      // Twenty notifications reached both processes' hubs; neither read the change table.
      assert.strictEqual(counter.count(/FROM mc_agent_changes\s+WHERE sequence >/), 0)

      const collected = second.runFork(Effect.scoped(Effect.gen(function*() {
        const stream = yield* subscribeAgentChanges(before)
        return yield* Stream.runCollect(Stream.take(stream, 22))
      })))
      await Effect.runPromise(sleep(200))
      await first.runPromise(heartbeatAgent(Actor.agent(agent), agent.id, "beat-21"))
      await first.runPromise(heartbeatAgent(Actor.agent(agent), agent.id, "beat-22"))
      const seen = await Effect.runPromise(Fiber.join(collected).pipe(Effect.timeout("20 seconds")))
      assert.deepStrictEqual(
        seen.map((change) => change.agent?.status),
        Array.from({ length: 22 }, (_, index) => `beat-${index + 1}`)
      )
    } finally {
      counter.stop()
      await dispose()
    }
  })

  it("heartbeats and transactions writing several agents, from two processes at once, never deadlock", async () => {
    const { first, second, dispose } = await twoProcesses()
    try {
      const world = await first.runPromise(Fixtures.world())
      const made = await first.runPromise(
        Effect.forEach([0, 1], () => Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id }))
      )
      const [a, b] = made.map(({ agent }) => agent) as [typeof made[0]["agent"], typeof made[0]["agent"]]
      // One process writes A then B in one transaction; the other heartbeats B and A: row locks only, taken one at a
      // time by the heartbeats, so neither can wait for the other in a cycle.
      const pairs = writeInPairs(a.id, b.id, { count: 30, pause: "1 millis" })
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

  it("a transaction left open on agent A delays no heartbeat of agent B; the feed waits for it and keeps the order", async () => {
    const { first, second, dispose } = await twoProcesses()
    try {
      const world = await first.runPromise(Fixtures.world())
      const made = await first.runPromise(
        Effect.forEach([0, 1], () => Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id }))
      )
      const [a, b] = made.map(({ agent }) => agent) as [typeof made[0]["agent"], typeof made[0]["agent"]]
      const start = await second.runPromise(Effect.flatMap(AgentChanges, (changes) => changes.currentSequence))
      const collected = second.runFork(Effect.scoped(Effect.gen(function*() {
        const stream = yield* subscribeAgentChanges(start)
        return yield* Stream.runCollect(Stream.take(stream, 2))
      })))
      const written = await Effect.runPromise(Deferred.make<void>())
      const release = await Effect.runPromise(Deferred.make<void>())
      const held = first.runPromise(
        Effect.flatMap(Transactor, (transactor) =>
          transactor.withTransaction(
            Effect.flatMap(AgentRepository, (agents) => agents.update(a.id, { status: "held" })).pipe(
              Effect.andThen(Deferred.succeed(written, undefined)),
              Effect.andThen(Deferred.await(release))
            )
          ))
      )
      await Effect.runPromise(Deferred.await(written))

      const started = Date.now()
      const beat = await second.runPromise(
        heartbeatAgent(Actor.agent(b), b.id, "beat").pipe(Effect.timeout("5 seconds"))
      )
      assert.strictEqual(beat.status, "beat")
      assert.isBelow(Date.now() - started, 1_000)
      // B's change is numbered after A's, whose transaction is still open: handing it out now would pass A's by.
      await Effect.runPromise(sleep(300))
      assert.isUndefined(collected.pollUnsafe())

      await Effect.runPromise(Deferred.succeed(release, undefined))
      await held
      const seen = await Effect.runPromise(Fiber.join(collected).pipe(Effect.timeout("20 seconds")))
      assert.deepStrictEqual(seen.map((change) => [change.agentId, change.agent?.status]), [[a.id, "held"], [
        b.id,
        "beat"
      ]])
      assert.isBelow(seen[0]!.sequence, seen[1]!.sequence)
    } finally {
      await dispose()
    }
  })

  it("a subscriber opening while a change waits for a transaction that then rolls back still gets it, with no other signal", async () => {
    const { first, second, dispose } = await twoProcesses({ settleTimeout: "200 millis" })
    try {
      const world = await first.runPromise(Fixtures.world())
      const made = await first.runPromise(
        Effect.forEach([0, 1], () => Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id }))
      )
      const [a, b] = made.map(({ agent }) => agent) as [typeof made[0]["agent"], typeof made[0]["agent"]]
      const start = await second.runPromise(Effect.flatMap(AgentChanges, (changes) => changes.currentSequence))
      const written = await Effect.runPromise(Deferred.make<void>())
      const release = await Effect.runPromise(Deferred.make<void>())
      // A's change draws a number, then its transaction rolls back: a gap no notification will ever announce.
      const rolledBack = first.runPromiseExit(
        Effect.flatMap(Transactor, (transactor) =>
          transactor.withTransaction(
            Effect.flatMap(AgentRepository, (agents) => agents.update(a.id, { status: "rolled back" })).pipe(
              Effect.andThen(Deferred.succeed(written, undefined)),
              Effect.andThen(Deferred.await(release)),
              Effect.andThen(Effect.fail("roll back" as const))
            )
          ))
      )
      await Effect.runPromise(Deferred.await(written))
      await second.runPromise(heartbeatAgent(Actor.agent(b), b.id, "beat"))
      await Effect.runPromise(sleep(300))
      // Nobody subscribes to the second process yet: B's signal only marks its hub behind. The subscriber's catch-up
      // gives up on the open transaction after the settle timeout; then the transaction rolls back.
      const collected = second.runFork(Effect.scoped(Effect.gen(function*() {
        const stream = yield* subscribeAgentChanges(start)
        return yield* Stream.runCollect(Stream.take(stream, 1))
      })))
      await Effect.runPromise(sleep(500))
      await Effect.runPromise(Deferred.succeed(release, undefined))
      assert.isTrue(Exit.isFailure(await rolledBack))
      const seen = await Effect.runPromise(Fiber.join(collected).pipe(Effect.timeout("10 seconds")))
      assert.deepStrictEqual(seen.map((change) => [change.agentId, change.agent?.status]), [[b.id, "beat"]])
    } finally {
      await dispose()
    }
  })

  it("under concurrent writers, both processes see every committed change once, in the same order, ending on each row's state", async () => {
    const { config, first, second, dispose } = await twoProcesses()
    try {
      const world = await first.runPromise(Fixtures.world())
      const made = await first.runPromise(
        Effect.forEach([0, 1, 2], () => Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id }))
      )
      const [a, b, c] = made.map(({ agent }) => agent) as [
        typeof made[0]["agent"],
        typeof made[0]["agent"],
        typeof made[0]["agent"]
      ]
      const start = await first.runPromise(Effect.flatMap(AgentChanges, (changes) => changes.currentSequence))
      const pairs = 15
      const beats = 40
      const total = pairs * 2 + beats
      const collect = (runtime: typeof first) =>
        runtime.runFork(Effect.scoped(Effect.gen(function*() {
          const stream = yield* subscribeAgentChanges(start)
          return yield* Stream.runCollect(Stream.take(stream, total))
        })))
      const seenByFirst = collect(first)
      const seenBySecond = collect(second)
      await Effect.runPromise(sleep(100))

      // Transactions that number a change, wait, and write again before committing, while heartbeats (some of the
      // same row, B) commit in between with higher numbers from younger transactions.
      const transactions = writeInPairs(a.id, b.id, { count: pairs, pause: "10 millis" })
      const heartbeats = Effect.forEach(Array.from({ length: beats }, (_, index) => index), (index) => {
        const agent = index % 2 === 0 ? b : c
        return heartbeatAgent(Actor.agent(agent), agent.id, `beat-${index}`)
      }, { concurrency: 4, discard: true })
      const [transactionsExit, heartbeatsExit] = await Promise.all([
        first.runPromiseExit(transactions),
        second.runPromiseExit(heartbeats)
      ])
      assert.isTrue(
        Exit.isSuccess(transactionsExit),
        Exit.isFailure(transactionsExit) ? Cause.pretty(transactionsExit.cause) : ""
      )
      assert.isTrue(
        Exit.isSuccess(heartbeatsExit),
        Exit.isFailure(heartbeatsExit) ? Cause.pretty(heartbeatsExit.cause) : ""
      )

      const [one, two] = await Effect.runPromise(
        Effect.all([Fiber.join(seenByFirst), Fiber.join(seenBySecond)]).pipe(Effect.timeout("30 seconds"))
      )
      const sequences = (changes: ReadonlyArray<{ readonly sequence: number }>) =>
        changes.map((change) => change.sequence)
      const stored = await query(
        config.url,
        `SELECT sequence::text AS s FROM mc_agent_changes WHERE sequence > ${start} ORDER BY sequence`
      )
      assert.deepStrictEqual(sequences(one), stored.map((row) => Number(row["s"])))
      assert.deepStrictEqual(sequences(two), sequences(one))
      const rows = await query(config.url, "SELECT id::text AS id, status FROM mc_agents")
      for (const agent of [a, b, c]) {
        const last = one.filter((change) => change.agentId === agent.id).at(-1)
        assert.strictEqual(last?.agent?.status, rows.find((row) => row["id"] === agent.id)?.["status"])
      }
    } finally {
      await dispose()
    }
  })

  it("a connection killed in the middle of a deletion fails it with DatabaseUnavailable, leaves the previous state, and the next request succeeds", async () => {
    const config = await freshConfig()
    const runtime = ManagedRuntime.make(Layer.mergeAll(layer(config), TestKit.layerServices, TestKit.layerGateway()))
    try {
      const world = await runtime.runPromise(Fixtures.world())
      const { agent } = await runtime.runPromise(
        Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      )
      const task = await runtime.runPromise(Fixtures.task({ assignedAgentId: agent.id, status: "in_progress" }))
      // Hold the agent row so the deletion's transaction stops inside, then kill that transaction's backend.
      const blocker = await openSession(config.url)
      await blocker.query("BEGIN")
      await blocker.query("SELECT 1 FROM mc_agents WHERE id = $1 FOR UPDATE", [agent.id])
      const deletion = runtime.runPromiseExit(deleteAgent(world.owner, agent.id))
      let victims: ReadonlyArray<unknown> = []
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
      await blocker.close()
      const exit = await deletion
      assert.isTrue(Exit.isFailure(exit))
      // Typed and retryable at the repository boundary, not a defect.
      const failures = Exit.isFailure(exit) ? exit.cause.reasons.filter(Cause.isFailReason).map((r) => r.error) : []
      console.log(
        "CAUSE",
        Exit.isFailure(exit)
          ? exit.cause.reasons.map((r) => r._tag + ":" + String((r as any).error?._tag ?? (r as any).defect?._tag))
          : ""
      )
      assert.deepStrictEqual(failures.map((failure) => failure._tag), ["DatabaseUnavailable"])
      const stillThere = await runtime.runPromise(Effect.flatMap(AgentRepository, (repo) => repo.findById(agent.id)))
      assert.isTrue(Option.isSome(stillThere))
      const untouched = await runtime.runPromise(Effect.flatMap(TaskRepository, (repo) => repo.findById(task.id)))
      assert.deepStrictEqual([Option.getOrThrow(untouched).status, Option.getOrThrow(untouched).assignedAgentId], [
        "in_progress",
        agent.id
      ])
      await runtime.runPromise(deleteAgent(world.owner, agent.id))
      const gone = await runtime.runPromise(Effect.flatMap(AgentRepository, (repo) => repo.findById(agent.id)))
      assert.isTrue(Option.isNone(gone))
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
    assert.deepStrictEqual(recorded, [
      { migration_id: 1, name: "mission_control_schema" },
      { migration_id: 2, name: "unlocked_change_feed" },
      { migration_id: 3, name: "board_rules_gateway_options" },
      { migration_id: 4, name: "rate_limits" },
      { migration_id: 5, name: "lifecycle" },
      { migration_id: 6, name: "adopted_agents" }
    ])
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
    const exit = await Effect.runPromiseExit(
      Effect.scoped(Layer.build(layer({ url: Redacted.make("postgres://app:s3cret@127.0.0.1:1/mc") })))
    )
    assert.isTrue(Exit.isFailure(exit))
    const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as {
      readonly _tag?: string
      readonly message?: string
    }
    assert.strictEqual(error._tag, "SqlError")
    assert.strictEqual(error.message, "PgConnection: Failed to connect")
    assert.notInclude(JSON.stringify(error), "s3cret")
    assert.isBelow(Date.now() - started, 5_000)
  })
})
