import { assert, describe, it } from "@effect/vitest"
import {
  ActivityRepository,
  Actor,
  AgentCreate,
  AgentRepository,
  authenticateAgent,
  checkInAgent,
  checkInOverdueAgents,
  createAgent,
  heartbeatAgent,
  missedCheckInReason,
  provisionAgentRecord,
  toAgentRead
} from "@mission-control/core"
import type { AgentId } from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { DateTime, Duration, Effect, Schema } from "effect"
import { TestClock } from "effect/testing"
import { testLayer } from "./support/layer.js"

const create = (body: unknown) => Schema.decodeUnknownSync(AgentCreate)(body)
const tokenIn = (content: string | undefined) => /^AUTH_TOKEN=(.*)$/m.exec(content ?? "")?.[1]

/** A world with one just-created (provisioned and woken) worker, and a count of the wakeups the gateway got. */
const wokenWorker = Effect.gen(function*() {
  const world = yield* Fixtures.world()
  const gateway = yield* MemoryGateway
  const { id } = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Sleepy" }))
  const wakeups = () => gateway.calls().filter((call) => call.method === "chat.send").length
  const token = () => tokenIn(gateway.file(world.gateway.id, `mc-${id}`, "TOOLS.md"))!
  return { ...world, id, wakeups, token }
})

const results = (outcomes: ReadonlyArray<{ readonly result: string; readonly wakeAttempts: number }>) =>
  outcomes.map((outcome) => `${outcome.result}:${outcome.wakeAttempts}`)

describe("check-in after a wakeup", () => {
  it.effect("an agent that never checks in is woken again 30 s apart, then marked offline with the reason", () =>
    Effect.gen(function*() {
      const world = yield* wokenWorker
      const created = yield* Fixtures.reload(world.id)
      assert.strictEqual(created.wakeAttempts, 1)
      assert.strictEqual(created.lifecycleGeneration, 1)
      assert.deepStrictEqual(created.checkinDeadlineAt, DateTime.addDuration(created.lastWakeSentAt!, "30 seconds"))
      assert.strictEqual(world.wakeups(), 1)

      assert.deepStrictEqual(yield* checkInOverdueAgents(), [])
      yield* TestClock.adjust(Duration.seconds(29))
      assert.deepStrictEqual(yield* checkInOverdueAgents(), [])
      yield* TestClock.adjust(Duration.seconds(1))
      assert.deepStrictEqual(results(yield* checkInOverdueAgents()), ["rewoken:2"])
      assert.strictEqual(world.wakeups(), 2)
      const rewoken = yield* Fixtures.reload(world.id)
      assert.strictEqual(rewoken.lifecycleGeneration, 2)
      assert.strictEqual(rewoken.status, "online")

      yield* TestClock.adjust(Duration.seconds(30))
      assert.deepStrictEqual(results(yield* checkInOverdueAgents()), ["rewoken:3"])
      assert.strictEqual(world.wakeups(), 3)
      yield* TestClock.adjust(Duration.seconds(30))
      assert.deepStrictEqual(results(yield* checkInOverdueAgents()), ["offline:3"])
      assert.strictEqual(world.wakeups(), 3)

      const offline = yield* Fixtures.reload(world.id)
      assert.strictEqual(offline.status, "offline")
      assert.strictEqual(offline.lastProvisionError, missedCheckInReason)
      assert.isNull(offline.checkinDeadlineAt)
      const read = toAgentRead(offline, yield* DateTime.now)
      assert.deepStrictEqual([read.wake_attempts, read.checkin_deadline_at], [3, null])
      assert.strictEqual(read.last_provision_error, "Agent did not check in after wake; max wake attempts reached")
      const activity = yield* Effect.flatMap(ActivityRepository, (repo) => repo.listByAgent(world.id))
      assert.include(activity.map((event) => event.eventType), "agent.checkin.missed")

      // Nothing more is awaited: later sweeps leave it alone, and the reason stays until it checks in.
      yield* TestClock.adjust(Duration.minutes(5))
      assert.deepStrictEqual(yield* checkInOverdueAgents(), [])
      assert.strictEqual(world.wakeups(), 3)
      yield* heartbeatAgent(Actor.user(world.owner), world.id, null)
      const back = yield* Fixtures.reload(world.id)
      assert.deepStrictEqual([back.status, back.lastProvisionError, back.wakeAttempts], ["online", null, 0])
    }).pipe(Effect.provide(testLayer())))

  it.effect("a heartbeat between wakeups ends the check-in", () =>
    Effect.gen(function*() {
      const world = yield* wokenWorker
      yield* TestClock.adjust(Duration.seconds(30))
      assert.deepStrictEqual(results(yield* checkInOverdueAgents()), ["rewoken:2"])
      yield* TestClock.adjust(Duration.seconds(10))
      const beat = yield* heartbeatAgent(Actor.user(world.owner), world.id, null)
      assert.deepStrictEqual([beat.wakeAttempts, beat.checkinDeadlineAt], [0, null])
      yield* TestClock.adjust(Duration.minutes(2))
      assert.deepStrictEqual(yield* checkInOverdueAgents(), [])
      assert.strictEqual(world.wakeups(), 2)
    }).pipe(Effect.provide(testLayer())))

  it.effect("any authenticated request of the woken agent is its check-in", () =>
    Effect.gen(function*() {
      const world = yield* wokenWorker
      yield* TestClock.adjust(Duration.seconds(5))
      const seen = yield* authenticateAgent(world.token())
      assert.deepStrictEqual([seen.wakeAttempts, seen.checkinDeadlineAt], [0, null])
      yield* TestClock.adjust(Duration.minutes(1))
      assert.deepStrictEqual(yield* checkInOverdueAgents(), [])
      assert.strictEqual(world.wakeups(), 1)
    }).pipe(Effect.provide(testLayer())))

  it.effect("a check-in of an earlier lifecycle generation, of a deleting agent or of a gone one does nothing", () =>
    Effect.gen(function*() {
      const world = yield* wokenWorker
      const agents = yield* AgentRepository
      yield* TestClock.adjust(Duration.seconds(31))
      const generation = (yield* Fixtures.reload(world.id)).lifecycleGeneration
      assert.deepStrictEqual(results([yield* checkInAgent(world.id, generation - 1)]), ["stale:1"])
      assert.strictEqual(world.wakeups(), 1)

      yield* agents.update(world.id, { status: "deleting" })
      assert.deepStrictEqual(results(yield* checkInOverdueAgents()), ["deleting:1"])
      assert.strictEqual(world.wakeups(), 1)

      const gone = crypto.randomUUID() as AgentId
      assert.deepStrictEqual(results([yield* checkInAgent(gone, 1)]), ["gone:0"])
    }).pipe(Effect.provide(testLayer())))

  it.effect("an agent seen since its wakeup is not woken again", () =>
    Effect.gen(function*() {
      const world = yield* wokenWorker
      const agents = yield* AgentRepository
      yield* TestClock.adjust(Duration.seconds(31))
      // Seen (the write of another process, say) without its deadline being cleared.
      yield* agents.update(world.id, { lastSeenAt: yield* DateTime.now })
      assert.deepStrictEqual(results(yield* checkInOverdueAgents()), ["checked_in:0"])
      assert.isNull((yield* Fixtures.reload(world.id)).checkinDeadlineAt)
      assert.strictEqual(world.wakeups(), 1)
    }).pipe(Effect.provide(testLayer())))

  it.effect("a re-wake the gateway refuses is reported, records the error and awaits nothing", () =>
    Effect.gen(function*() {
      const world = yield* wokenWorker
      const gateway = yield* MemoryGateway
      gateway.fail({ method: "agents.files.set", reason: "Rejected", message: "read-only", times: Infinity })
      yield* TestClock.adjust(Duration.seconds(30))
      const [failed] = yield* checkInOverdueAgents()
      assert.deepStrictEqual([failed?.result, failed?.wakeAttempts, failed?.error], [
        "failed",
        2,
        "Gateway update failed: read-only"
      ])
      const stored = yield* Fixtures.reload(world.id)
      assert.deepStrictEqual([stored.checkinDeadlineAt, stored.lastProvisionError], [null, "read-only"])
      yield* TestClock.adjust(Duration.minutes(1))
      assert.deepStrictEqual(yield* checkInOverdueAgents(), [])
    }).pipe(Effect.provide(testLayer())))

  it.effect("a provisioning run without a wakeup awaits no check-in", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { id } = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Quiet" }))
      const agent = yield* Fixtures.reload(id)
      assert.isNotNull(agent.checkinDeadlineAt)
      yield* heartbeatAgent(Actor.user(world.owner), id, null)
      const updated = yield* provisionAgentRecord(id, {
        action: "update",
        gateway: world.gateway,
        board: world.board,
        user: world.owner,
        wake: false
      })
      assert.deepStrictEqual([updated.wakeAttempts, updated.checkinDeadlineAt, updated.lifecycleGeneration], [
        0,
        null,
        2
      ])
    }).pipe(Effect.provide(testLayer())))
})
