import { assert, describe, it } from "@effect/vitest"
import { Actor, computedStatus, heartbeatAgent, prepareAgentWatch, streamAgents } from "@mission-control/core"
import { Fixtures, MemoryStore, TestKit } from "@mission-control/core/testing"
import { DateTime, Duration, Effect, Fiber, Queue, Stream } from "effect"
import { TestClock } from "effect/testing"
import { onMemory, testLayer } from "./support/layer.js"

const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

// Tests that only wait for the feed's events run on the live clock: on Postgres the waits below the feed (settling
// behind other sessions' transactions, the client's connections) take wall-clock time. A watch is opened
// (`prepareAgentWatch`) before the changes it must see: a stream forked and given a tick may not have opened yet on
// Postgres, and a change committed before a watch opens is not "from now" (one in eight runs hung that way).
describe("streamAgents", () => {
  it.live("pushes a heartbeat to an open stream, with its sequence", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      // Opened before the heartbeat: a change committed before a watch opens is not "from now".
      const watch = yield* Effect.flatten(prepareAgentWatch(world.owner, {}))
      yield* heartbeatAgent(Actor.agent(agent), agent.id, "working")
      const [event] = yield* watch.take
      assert.strictEqual(event!.agent.id, agent.id)
      assert.strictEqual(computedStatus(event!.agent, event!.at), "working")
      assert.isAbove(event!.sequence, 0)
    }).pipe(Effect.scoped, Effect.provide(testLayer())))

  it.effect("gives every open stream the same agent of a change, with the instant its status is computed for", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      const watches = [
        yield* Effect.flatten(prepareAgentWatch(world.owner, {})),
        yield* Effect.flatten(prepareAgentWatch(world.admin, {}))
      ]
      yield* TestClock.adjust(Duration.seconds(5))
      const beat = yield* heartbeatAgent(Actor.agent(agent), agent.id, "sharing")
      const [first, second] = (yield* Effect.forEach(watches, (watch) => watch.take)).map((events) => events[0])
      // One object for all watches: an edge renders its JSON once.
      assert.strictEqual(first!.agent, second!.agent)
      assert.strictEqual(first!.agent.status, "sharing")
      assert.isTrue(DateTime.isGreaterThanOrEqualTo(first!.at, beat.lastSeenAt!))
    }).pipe(Effect.scoped, Effect.provide(testLayer())))

  it.effect("replays agents changed since a time, once, then goes live", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { agent: old } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      yield* TestClock.adjust(Duration.minutes(5))
      const since = yield* DateTime.now
      const { agent: fresh } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: null })
      const stream = yield* streamAgents(world.owner, { since })
      const received = yield* Queue.unbounded<string>()
      yield* Effect.forkChild(Stream.runForEach(stream, (event) => Queue.offer(received, event.agent.id)))
      // The replay has been read once its event arrives; only then does the old agent change.
      assert.strictEqual(yield* Queue.take(received), fresh.id)
      yield* heartbeatAgent(Actor.agent(old), old.id, null)
      assert.strictEqual(yield* Queue.take(received), old.id)
      yield* settle
      assert.strictEqual(yield* Queue.size(received), 0)
    }).pipe(Effect.provide(testLayer())))

  it.live("resumes after a sequence without loss or duplicates", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { agent } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      const [seen] = yield* Effect.scoped(Effect.gen(function*() {
        const first = yield* Effect.flatten(prepareAgentWatch(world.owner, {}))
        yield* heartbeatAgent(Actor.agent(agent), agent.id, "one")
        return yield* first.take
      }))
      // The client is gone while two more changes happen.
      yield* heartbeatAgent(Actor.agent(agent), agent.id, "two")
      yield* heartbeatAgent(Actor.agent(agent), agent.id, "three")
      const resumed = yield* streamAgents(world.owner, { afterSequence: seen!.sequence })
      const events = yield* Stream.runCollect(Stream.take(resumed, 2))
      assert.deepStrictEqual(events.map((event) => computedStatus(event.agent, event.at)), ["two", "three"])
      assert.isTrue(events.every((event) => event.sequence > seen!.sequence))
    }).pipe(Effect.provide(testLayer())))

  it.live("shows only readable boards and never gateway agents", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const { agent: main } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: null })
      const { agent: foreign } = yield* Fixtures.agent({
        gatewayId: world.other.gateway.id,
        boardId: world.other.board.id
      })
      const { agent: mine } = yield* Fixtures.agent({ gatewayId: world.gateway.id, boardId: world.board.id })
      const watch = yield* Effect.flatten(prepareAgentWatch(world.admin, { boardId: world.board.id }))
      yield* heartbeatAgent(Actor.agent(main), main.id, null)
      yield* heartbeatAgent(Actor.agent(foreign), foreign.id, null)
      yield* heartbeatAgent(Actor.agent(mine), mine.id, null)
      const events = yield* watch.take
      assert.deepStrictEqual(events.map((event) => event.agent.id), [mine.id])
      const refused = yield* streamAgents(world.admin, { boardId: world.other.board.id }).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "Forbidden")
    }).pipe(Effect.scoped, Effect.provide(testLayer())))

  it.effect.skipIf(!onMemory)("costs the store nothing while subscribers are idle", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const store = yield* MemoryStore
      const fibers = []
      for (let index = 0; index < 50; index++) {
        const stream = yield* streamAgents(world.owner, {})
        fibers.push(yield* Effect.forkChild(Stream.runDrain(stream)))
      }
      yield* settle
      const before = store.operationCount()
      yield* TestClock.adjust(Duration.minutes(10))
      yield* settle
      assert.strictEqual(store.operationCount(), before)
      yield* Fiber.interruptAll(fibers)
    }).pipe(Effect.provide(TestKit.layer())))
})
