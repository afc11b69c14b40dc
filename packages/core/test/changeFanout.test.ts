import { assert, describe, it } from "@effect/vitest"
import type { AgentChange, AgentId, GatewayId } from "@mission-control/core"
import { makeChangeFanout } from "@mission-control/core"
import { Effect, Exit, Fiber, Scope } from "effect"

const change = (sequence: number): AgentChange => ({
  sequence,
  agentId: "a" as AgentId,
  boardId: null,
  gatewayId: "g" as GatewayId,
  agent: null
})
const sequences = (batch: ReadonlyArray<AgentChange>) => batch.map((item) => item.sequence)

describe("ChangeFanout", () => {
  it.effect("hands every subscriber what was published since its last take, in order, never an empty batch", () =>
    Effect.gen(function*() {
      const fanout = yield* makeChangeFanout
      const first = yield* fanout.subscribe
      const second = yield* fanout.subscribe
      fanout.publish([change(1)])
      fanout.publish([])
      fanout.publish([change(2), change(3)])
      assert.deepStrictEqual(sequences(yield* first.take), [1, 2, 3])
      const waiting = yield* Effect.forkChild(first.take)
      fanout.publish([change(4)])
      assert.deepStrictEqual(sequences(yield* Fiber.join(waiting)), [4])
      assert.deepStrictEqual(sequences(yield* second.take), [1, 2, 3, 4])
    }))

  it.effect("stops delivering to a subscription whose scope closed, and interrupts waiting takes when it closes", () =>
    Effect.gen(function*() {
      const fanoutScope = yield* Scope.make()
      const fanout = yield* makeChangeFanout.pipe(Scope.provide(fanoutScope))
      const subscriptionScope = yield* Scope.make()
      const left = yield* fanout.subscribe.pipe(Scope.provide(subscriptionScope))
      const stays = yield* fanout.subscribe
      yield* Scope.close(subscriptionScope, Exit.void)
      fanout.publish([change(1)])
      const leftTake = yield* Effect.forkChild(left.take)
      assert.deepStrictEqual(sequences(yield* stays.take), [1])
      const waiting = yield* Effect.forkChild(stays.take)
      yield* Effect.yieldNow
      yield* Scope.close(fanoutScope, Exit.void)
      assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(waiting)))
      // The closed subscription got nothing; it waits until interrupted.
      yield* Fiber.interrupt(leftTake)
      assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(leftTake)))
      // A subscription made after the fan-out closed is interrupted at once.
      const late = yield* fanout.subscribe
      assert.isTrue(Exit.hasInterrupts(yield* Effect.exit(late.take)))
    }))
})
