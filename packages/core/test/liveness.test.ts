import { assert, describe, it } from "@effect/vitest"
import type { Agent, AgentId, GatewayActivityKind, LivenessWatcherOptions } from "@mission-control/core"
import {
  Actor,
  AgentChanges,
  AgentCreate,
  checkInOverdueAgents,
  computedStatus,
  createAgent,
  gatewayAgentIdOf,
  LivenessWatcher
} from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { DateTime, Duration, Effect, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { testLayer } from "./support/layer.js"

const create = (body: unknown) => Schema.decodeUnknownSync(AgentCreate)(body)

// Background fibers do real work (a database on Postgres) between clock steps: wait for it in real time.
const eventually = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 1000; attempt++) {
      if (yield* check) return true
      yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 5)))
    }
    return yield* check
  })

const settle = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 100)))

const millis = (at: DateTime.Utc | null) => at === null ? null : DateTime.toEpochMillis(at)

/**
 * A world whose board has one worker last seen an hour ago (shown offline), the watcher running with `options`, and
 * a way to emit activity for an agent (by its gateway id) at the current time, or `ago` before it.
 */
const watchedWorld = (options: LivenessWatcherOptions = {}) =>
  Effect.gen(function*() {
    const world = yield* Fixtures.world()
    const memory = yield* MemoryGateway
    const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id, name: "Busy" })
    yield* TestClock.adjust(Duration.hours(1))
    yield* Layer.build(LivenessWatcher.layer(options))
    assert.isTrue(yield* eventually(Effect.sync(() => memory.activitySubscribers(world.gateway.id) === 1)))
    const emit = (gatewayAgentId: string, kind: GatewayActivityKind, ago: Duration.Input = 0) =>
      Effect.map(
        DateTime.now,
        (now) =>
          memory.emitActivity(world.gateway.id, {
            agentId: gatewayAgentId,
            kind,
            at: DateTime.subtractDuration(now, ago)
          })
      )
    return { ...world, memory, agent, gatewayAgentId: gatewayAgentIdOf(agent), emit }
  })

const statusNow = (agent: Agent) => Effect.map(DateTime.now, (now) => computedStatus(agent, now))

const seenAt = (id: AgentId, at: DateTime.Utc) =>
  eventually(Effect.map(Fixtures.reload(id), (agent) => millis(agent.lastSeenAt) === millis(at)))

describe("LivenessWatcher", () => {
  it.effect("gateway activity marks an offline agent seen and online, through the change feed", () =>
    Effect.gen(function*() {
      const world = yield* watchedWorld()
      assert.strictEqual(yield* statusNow(yield* Fixtures.reload(world.agent.id)), "offline")
      const feed = yield* (yield* AgentChanges).open(undefined)
      const now = yield* DateTime.now
      assert.strictEqual(yield* world.emit(world.gatewayAgentId, "agent"), 1)
      const changes = yield* feed.take
      assert.deepStrictEqual(changes.map((change) => change.agentId), [world.agent.id])
      assert.strictEqual(millis(changes[0]!.agent!.lastSeenAt), millis(now))
      const seen = yield* Fixtures.reload(world.agent.id)
      assert.strictEqual(yield* statusNow(seen), "online")
      assert.isNull(seen.lastHeartbeatAt)
    }).pipe(Effect.scoped, Effect.provide(testLayer())))

  it.effect("at most one write per agent per throttle; activity within it is written when it ends", () =>
    Effect.gen(function*() {
      const world = yield* watchedWorld({ throttle: "15 seconds" })
      const feed = yield* (yield* AgentChanges).open(undefined)
      const first = yield* DateTime.now
      yield* world.emit(world.gatewayAgentId, "chat")
      assert.isTrue(yield* seenAt(world.agent.id, first))
      assert.strictEqual((yield* feed.take).length, 1)

      yield* TestClock.adjust(Duration.seconds(5))
      const second = yield* DateTime.now
      yield* world.emit(world.gatewayAgentId, "agent")
      yield* TestClock.adjust(Duration.seconds(5))
      yield* world.emit(world.gatewayAgentId, "agent", "4 seconds")
      yield* settle
      assert.strictEqual(millis((yield* Fixtures.reload(world.agent.id)).lastSeenAt), millis(first))

      yield* TestClock.adjust(Duration.seconds(5))
      assert.isTrue(yield* seenAt(world.agent.id, DateTime.addDuration(second, "1 second")))
      const trailing = yield* feed.take
      assert.strictEqual(trailing.length, 1)
      // Nothing newer came: no write when the next period ends.
      yield* TestClock.adjust(Duration.seconds(30))
      yield* settle
      assert.strictEqual(yield* world.emit(world.gatewayAgentId, "agent", "1 minute"), 1)
      yield* settle
      assert.strictEqual(
        millis((yield* Fixtures.reload(world.agent.id)).lastSeenAt),
        millis(DateTime.addDuration(second, "1 second"))
      )
    }).pipe(Effect.scoped, Effect.provide(testLayer())))

  it.effect("agents of other gateways or none of ours, and signals turned off, are ignored", () =>
    Effect.gen(function*() {
      const world = yield* watchedWorld({ signals: ["agent"] })
      const feed = yield* (yield* AgentChanges).open(undefined)
      yield* world.emit(world.gatewayAgentId, "health", "1 second")
      yield* world.emit(world.gatewayAgentId, "chat", "1 second")
      yield* world.emit("main", "agent", "1 second")
      world.memory.emitActivity(world.other.gateway.id, {
        agentId: world.gatewayAgentId,
        kind: "agent",
        at: yield* DateTime.now
      })
      const counted = DateTime.subtractDuration(yield* DateTime.now, "2 seconds")
      yield* world.emit(world.gatewayAgentId, "agent", "2 seconds")
      assert.isTrue(yield* seenAt(world.agent.id, counted))
      assert.deepStrictEqual((yield* feed.take).map((change) => change.agentId), [world.agent.id])
      // The other organization's gateway has no agents: nothing subscribes to it.
      assert.strictEqual(world.memory.activitySubscribers(world.other.gateway.id), 0)
    }).pipe(Effect.scoped, Effect.provide(testLayer())))

  it.effect("an agent stays online while it works without heartbeats, and goes offline once it stops", () =>
    Effect.gen(function*() {
      const world = yield* watchedWorld()
      // Heartbeat every 10 minutes: offline after 15 minutes of silence. An hour of work, activity every 5 minutes.
      for (let minute = 0; minute < 60; minute += 5) {
        const now = yield* DateTime.now
        yield* world.emit(world.gatewayAgentId, minute % 10 === 0 ? "agent" : "health")
        assert.isTrue(yield* seenAt(world.agent.id, now))
        yield* TestClock.adjust(Duration.minutes(5))
        assert.strictEqual(yield* statusNow(yield* Fixtures.reload(world.agent.id)), "online")
      }
      yield* TestClock.adjust(Duration.minutes(11))
      assert.strictEqual(yield* statusNow(yield* Fixtures.reload(world.agent.id)), "offline")
    }).pipe(Effect.scoped, Effect.provide(testLayer())))

  it.effect("run output after a wakeup is the agent's check-in; a session update alone is not", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const memory = yield* MemoryGateway
      const { id } = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Sleepy" }))
      yield* Layer.build(LivenessWatcher.layer())
      const wakeups = () => memory.calls().filter((call) => call.method === "chat.send").length
      const created = yield* Fixtures.reload(id)
      assert.isNotNull(created.checkinDeadlineAt)
      yield* TestClock.adjust(Duration.seconds(1))
      assert.isTrue(yield* eventually(Effect.sync(() => memory.activitySubscribers(world.gateway.id) === 1)))
      const emit = (kind: GatewayActivityKind) =>
        Effect.flatMap(
          DateTime.now,
          (at) =>
            Effect.sync(() => memory.emitActivity(world.gateway.id, { agentId: gatewayAgentIdOf(created), kind, at }))
        )

      // The wakeup itself updated the session: the health snapshot showing it proves nothing.
      yield* emit("health")
      yield* settle
      const after = yield* Fixtures.reload(id)
      assert.isNotNull(after.checkinDeadlineAt)
      assert.strictEqual(millis(after.lastSeenAt), millis(created.lastSeenAt))

      yield* TestClock.adjust(Duration.seconds(5))
      const replied = yield* DateTime.now
      yield* emit("agent")
      assert.isTrue(yield* seenAt(id, replied))
      const checkedIn = yield* Fixtures.reload(id)
      assert.deepStrictEqual([checkedIn.checkinDeadlineAt, checkedIn.wakeAttempts], [null, 0])
      assert.strictEqual(yield* statusNow(checkedIn), "online")
      yield* TestClock.adjust(Duration.seconds(30))
      assert.deepStrictEqual(yield* checkInOverdueAgents(), [])
      assert.strictEqual(wakeups(), 1)
    }).pipe(Effect.scoped, Effect.provide(testLayer())))

  it.effect("subscribes again after its subscription ends or fails, and watches a gateway added later", () =>
    Effect.gen(function*() {
      const world = yield* watchedWorld({ rescanInterval: "1 minute" })
      const subscribed = (gatewayId: string) =>
        eventually(Effect.sync(() => world.memory.activitySubscribers(gatewayId) === 1))

      // The connection replaced (its gateway row changed): a new subscription a second later.
      world.memory.endActivity(world.gateway.id)
      yield* TestClock.adjust(Duration.seconds(1))
      assert.isTrue(yield* subscribed(world.gateway.id))

      // The gateway unreachable twice: subscribed again after 1 s, then 2 s.
      world.memory.fail({ method: "connect", reason: "Transport", message: "connect ECONNREFUSED", times: 2 })
      world.memory.endActivity(world.gateway.id)
      yield* TestClock.adjust(Duration.seconds(1))
      yield* settle
      yield* TestClock.adjust(Duration.seconds(1))
      yield* settle
      assert.strictEqual(world.memory.activitySubscribers(world.gateway.id), 0)
      yield* TestClock.adjust(Duration.seconds(2))
      assert.isTrue(yield* subscribed(world.gateway.id))
      const now = yield* DateTime.now
      yield* world.emit(world.gatewayAgentId, "agent")
      assert.isTrue(yield* seenAt(world.agent.id, now))

      // A gateway added later, with an agent: watched from the next scan on.
      const gateway = yield* Fixtures.gateway(world.organization.id, { name: "Second Gateway" })
      const board = yield* Fixtures.board(world.organization.id, gateway.id, { name: "Second", slug: "second" })
      const { agent } = yield* Fixtures.agent({ gatewayId: gateway.id, boardId: board.id })
      // On Postgres the scan in progress reads for real: its next one is scheduled once that read is done.
      yield* settle
      yield* TestClock.adjust(Duration.minutes(1))
      assert.isTrue(yield* subscribed(gateway.id))
      const later = yield* DateTime.now
      world.memory.emitActivity(gateway.id, { agentId: gatewayAgentIdOf(agent), kind: "chat", at: later })
      assert.isTrue(yield* seenAt(agent.id, later))
    }).pipe(Effect.scoped, Effect.provide(testLayer())))
})
