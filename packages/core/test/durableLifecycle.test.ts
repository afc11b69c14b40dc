// Provisioning as durable workflows on the in-memory engine: what a request answers with the gateway up and down,
// and that the work finishes by itself once the gateway answers again. Crashes and several processes are the Postgres
// adapter's tests (packages/adapter-pg/test/lifecycle.test.ts).
import { assert, describe, it } from "@effect/vitest"
import {
  Actor,
  AgentCreate,
  AgentRepository,
  checkInOverdueAgents,
  createAgent,
  deleteAgent,
  layerDurableLifecycle,
  ProvisionAgentWorkflow,
  Settings
} from "@mission-control/core"
import { Fixtures, MemoryGateway } from "@mission-control/core/testing"
import { Duration, Effect, Fiber, Layer, Option, Schema } from "effect"
import { TestClock } from "effect/testing"
import { WorkflowEngine } from "effect/workflow"
import { testLayer } from "./support/layer.js"

const create = (body: unknown) => Schema.decodeUnknownSync(AgentCreate)(body)
const durableLayer = (gateway: Parameters<typeof testLayer>[0] = {}) =>
  layerDurableLifecycle().pipe(Layer.provideMerge(Layer.merge(testLayer(gateway), WorkflowEngine.layerMemory)))

const realPause = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))

/** Moves the test clock in steps until `done` holds (a bounded loop: at most `limit` of clock time). */
const advanceUntil = <E, R>(done: Effect.Effect<boolean, E, R>, step: Duration.Input, limit: Duration.Input) =>
  Effect.gen(function*() {
    const steps = Math.ceil(Duration.toMillis(limit) / Duration.toMillis(step))
    for (let index = 0; index < steps; index++) {
      yield* realPause
      if (yield* done) return true
      yield* TestClock.adjust(step)
    }
    return yield* done
  })

const findAgent = (id: string) =>
  Effect.flatMap(AgentRepository, (agents) => agents.findById(id as never)).pipe(Effect.map(Option.getOrThrow))

describe("durable provisioning", () => {
  it.effect("with the gateway up, a create answers the provisioned agent, as without workflows", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const agent = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Echo" }))
      assert.isNull(agent.provisionAction)
      assert.isNotNull(agent.agentTokenDigest)
      assert.isNull(agent.lastProvisionError)
      assert.isTrue(gateway.agents(world.gateway.id).has(`mc-${agent.id}`))
      // The same generation again is the same work: its recorded outcome, no second run.
      gateway.clearCalls()
      const outcome = yield* ProvisionAgentWorkflow.execute({
        agentId: agent.id,
        generation: agent.lifecycleGeneration,
        action: "provision",
        previousStatus: "provisioning",
        userId: null,
        forceBootstrap: false,
        resetSession: true,
        wake: true,
        deliverWakeup: true,
        wakeupVerb: null
      })
      assert.strictEqual(outcome._tag, "Completed")
      assert.deepStrictEqual(gateway.calls(), [])
    }).pipe(Effect.provide(durableLayer())))

  it.effect("with the gateway unreachable, a create answers at once with the work pending, which finishes when it returns", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const settings = yield* Settings
      gateway.fail({ method: "agents.create", reason: "Transport", message: "connect ECONNREFUSED", times: Infinity })
      const request = yield* Effect.forkChild(
        createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Nova" }))
      )
      // Answered once the first attempt's retries are spent, before the answer budget.
      const answered = yield* advanceUntil(
        Effect.sync(() => request.pollUnsafe() !== undefined),
        "250 millis",
        Duration.subtract(settings.lifecycleAnswerBudget, Duration.seconds(1))
      )
      assert.isTrue(answered)
      const pending = yield* Fiber.join(request)
      assert.strictEqual(pending.status, "provisioning")
      assert.strictEqual(pending.provisionAction, "provision")
      assert.match(pending.lastProvisionError ?? "", /^Gateway provision pending: /)
      assert.isFalse(gateway.agents(world.gateway.id).has(`mc-${pending.id}`))

      // Still down for a while: the workflow keeps trying, the record stays pending.
      yield* advanceUntil(Effect.succeed(false), "1 second", "30 seconds")
      assert.strictEqual((yield* findAgent(pending.id)).provisionAction, "provision")

      gateway.clearFailures()
      const converged = yield* advanceUntil(
        Effect.map(findAgent(pending.id), (agent) => agent.provisionAction === null),
        "250 millis",
        Duration.sum(settings.lifecycleRetryInterval, Duration.seconds(5))
      )
      assert.isTrue(converged)
      const agent = yield* findAgent(pending.id)
      assert.strictEqual(agent.status, "online")
      assert.isNotNull(agent.agentTokenDigest)
      assert.isNull(agent.lastProvisionError)
      assert.isNotNull(agent.checkinDeadlineAt)
      const created = gateway.calls(world.gateway.id).filter((call) =>
        call.method === "agents.create" && call.params["name"] === `mc-${pending.id}`
      )
      assert.isAbove(created.length, 1)
      assert.strictEqual(
        [...gateway.agents(world.gateway.id).keys()].filter((id) => id === `mc-${pending.id}`).length,
        1
      )
    }).pipe(Effect.provide(durableLayer())))

  it.effect("a refusal that retrying cannot fix fails the request as the reference answers it, and ends the work", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      gateway.fail({ method: "agents.create", reason: "Rejected", message: "invalid agent name", times: Infinity })
      const failure = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Bad" }))
        .pipe(
          Effect.flip
        )
      assert.strictEqual(failure._tag, "GatewayFailure")
      assert.strictEqual("detail" in failure ? failure.detail : "", "Gateway provision failed: invalid agent name")
    }).pipe(Effect.provide(durableLayer())))

  it.effect("a delete with the gateway up removes the agent there and the record, as without workflows", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const agent = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Gone" }))
      yield* deleteAgent(world.owner, agent.id)
      assert.isTrue(Option.isNone(yield* Effect.flatMap(AgentRepository, (agents) => agents.findById(agent.id))))
      assert.isFalse(gateway.agents(world.gateway.id).has(`mc-${agent.id}`))
    }).pipe(Effect.provide(durableLayer())))

  it.effect("a delete with the gateway unreachable answers at once, the agent deleting; it is removed when the gateway returns", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const settings = yield* Settings
      const agent = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Later" }))
      gateway.fail({ method: "agents.delete", reason: "Transport", message: "connect ECONNREFUSED", times: Infinity })
      const request = yield* Effect.forkChild(deleteAgent(world.owner, agent.id))
      const answered = yield* advanceUntil(
        Effect.sync(() => request.pollUnsafe() !== undefined),
        "250 millis",
        Duration.subtract(settings.lifecycleAnswerBudget, Duration.seconds(1))
      )
      assert.isTrue(answered)
      yield* Fiber.join(request)
      const deleting = yield* findAgent(agent.id)
      assert.strictEqual(deleting.status, "deleting")
      assert.match(deleting.lastProvisionError ?? "", /^Gateway delete pending: /)
      assert.isTrue(gateway.agents(world.gateway.id).has(`mc-${agent.id}`))

      gateway.clearFailures()
      const removed = yield* advanceUntil(
        Effect.map(
          Effect.flatMap(AgentRepository, (agents) => agents.findById(agent.id)),
          Option.isNone
        ),
        "250 millis",
        Duration.sum(settings.lifecycleRetryInterval, Duration.seconds(5))
      )
      assert.isTrue(removed)
      assert.isFalse(gateway.agents(world.gateway.id).has(`mc-${agent.id}`))
    }).pipe(Effect.provide(durableLayer())))

  it.effect("a delete the gateway refuses for good fails as the reference answers it and gives the agent its status back", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const agent = yield* createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Kept" }))
      gateway.fail({ method: "agents.delete", reason: "Rejected", message: "not allowed", times: Infinity })
      const failure = yield* deleteAgent(world.owner, agent.id).pipe(Effect.flip)
      assert.strictEqual(failure._tag, "GatewayFailure")
      assert.strictEqual("detail" in failure ? failure.detail : "", "Gateway cleanup failed: not allowed")
      assert.strictEqual((yield* findAgent(agent.id)).status, agent.status)
    }).pipe(Effect.provide(durableLayer())))

  it.effect("a wakeup the gateway keeps refusing: the agent is provisioned, and the check-in sweep wakes it later", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const settings = yield* Settings
      // 2026.9.6 answers UNAVAILABLE, retryable: a transient refusal.
      gateway.fail({
        method: "chat.send",
        reason: "Restarting",
        message: "PreparedModelCatalogConfigReplacedError: prepared model catalog owner config was replaced",
        times: Infinity
      })
      const request = yield* Effect.forkChild(
        createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name: "Wren" }))
      )
      assert.isTrue(
        yield* advanceUntil(Effect.sync(() => request.pollUnsafe() !== undefined), "250 millis", "10 seconds")
      )
      const agent = yield* Fiber.join(request)
      assert.isNull(agent.provisionAction)
      assert.isNotNull(agent.agentTokenDigest)
      assert.strictEqual(agent.wakeAttempts, 1)
      assert.isNotNull(agent.checkinDeadlineAt)
      const wakes = () => gateway.calls(world.gateway.id).filter((call) => call.method === "chat.send").length
      // One wakeup and its three retries, and no second convergence: one create, one update.
      assert.strictEqual(wakes(), 4)
      const calls = gateway.calls(world.gateway.id).map((call) => call.method)
      assert.deepStrictEqual(calls.filter((method) => method === "agents.create" || method === "agents.update"), [
        "agents.create",
        "agents.update"
      ])
      gateway.clearFailures()
      yield* TestClock.adjust(Duration.sum(settings.checkinDeadline, Duration.seconds(1)))
      yield* checkInOverdueAgents()
      assert.strictEqual(wakes(), 5)
      assert.strictEqual((yield* findAgent(agent.id)).wakeAttempts, 2)
    }).pipe(Effect.provide(durableLayer())))

  it.effect("a burst of creates on one gateway takes turns: lifecycleConcurrencyPerGateway runs at once, all finish", () =>
    Effect.gen(function*() {
      const world = yield* Fixtures.world()
      const gateway = yield* MemoryGateway
      const names = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo"]
      const requests = yield* Effect.forEach(
        names,
        (name) => Effect.forkChild(createAgent(Actor.user(world.owner), create({ board_id: world.board.id, name })))
      )
      const answered = yield* advanceUntil(
        Effect.sync(() => requests.every((request) => request.pollUnsafe() !== undefined)),
        "100 millis",
        "60 seconds"
      )
      assert.isTrue(answered)
      const agents = yield* Effect.forEach(requests, Fiber.join)
      assert.isTrue(agents.every((agent) => agent.provisionAction === null && agent.status === "online"))
      // Each agent's gateway calls span from its first to its last; at no point do more than two spans overlap.
      const calls = gateway.calls(world.gateway.id)
      const spans = agents.map((agent) => {
        const indexes = calls.flatMap((call, index) =>
          JSON.stringify(call.params).includes(`mc-${agent.id}`) ? [index] : []
        )
        return { first: Math.min(...indexes), last: Math.max(...indexes) }
      })
      const overlapping = calls.map((_, index) =>
        spans.filter((span) => span.first <= index && index <= span.last).length
      )
      assert.strictEqual(Math.max(...overlapping), 2)
    }).pipe(Effect.provide(
      durableLayer({ latency: "100 millis" }).pipe(
        Layer.provide(Layer.succeed(Settings, { ...Settings.defaultValue(), lifecycleConcurrencyPerGateway: 2 }))
      )
    )))
})
