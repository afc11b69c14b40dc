// The core's provisioning, template sync and deletion over the real client, against the simulator.
import { afterEach, assert, describe, it } from "@effect/vitest"
import {
  Actor,
  AgentCreate,
  AgentRepository,
  AgentUpdate,
  authenticateAgent,
  createAgent,
  deleteAgent,
  ensureBoardLeadAgent,
  reconcilePendingProvisioning,
  Settings,
  syncGatewayTemplates,
  updateAgent
} from "@mission-control/core"
import type { RetryPolicy } from "@mission-control/core"
import type { AgentId } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import type { GatewaySimulator, SimulatorBehaviour } from "@mission-control/gateway-rpc/testing"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { Duration, Effect, Layer, Option, Redacted, Schema } from "effect"

const running: Array<GatewaySimulator> = []
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop()
})

const withSimulator = <A, E>(
  behaviour: Partial<SimulatorBehaviour>,
  body: (
    simulator: GatewaySimulator
  ) => Effect.Effect<
    A,
    E,
    Layer.Success<typeof TestKit.layerWithoutGateway> | import("@mission-control/core").GatewayControlPlane
  >,
  client: GatewayRpc.PoolOptions = {}
) =>
  Effect.gen(function*() {
    const simulator = yield* Effect.promise(() => startGatewaySimulator(behaviour))
    running.push(simulator)
    return yield* body(simulator).pipe(
      Effect.provide(
        Layer.merge(
          TestKit.layerWithoutGateway,
          GatewayRpc.layer({ device: GatewayRpc.generateDeviceIdentity(), ...client })
        )
      )
    )
  })

/** Short deadlines, so that a gateway that never answers is given up on within seconds. */
const shortDeadlines = (settings: Settings): Settings => {
  const short = (policy: RetryPolicy): RetryPolicy => ({
    ...policy,
    baseDelay: Duration.millis(50),
    maxDelay: Duration.millis(200),
    deadline: Duration.seconds(2)
  })
  return {
    ...settings,
    operationRetry: short(settings.operationRetry),
    syncRetry: short(settings.syncRetry),
    staleProvisionAfter: Duration.zero
  }
}
const stallClient: GatewayRpc.PoolOptions = { requestTimeout: "250 millis" }

const worldOn = (simulator: GatewaySimulator) =>
  Fixtures.world({
    gateway: { url: simulator.url, token: Redacted.make(simulator.token!), workspaceRoot: "/srv/openclaw" }
  })

const create = (boardId: string, name: string) => Schema.decodeUnknownSync(AgentCreate)({ board_id: boardId, name })
const tokenIn = (content: string | undefined) => /^AUTH_TOKEN=(.*)$/m.exec(content ?? "")?.[1]

/** Four agents A to D on the world's board, created (and provisioned) one after the other; their ids. */
const createFour = (world: Effect.Success<ReturnType<typeof worldOn>>) =>
  Effect.forEach(
    ["A", "B", "C", "D"],
    (name) => createAgent(Actor.user(world.owner), create(world.board.id, name)).pipe(Effect.map((agent) => agent.id))
  )

/** The token in each agent's workspace (AGENTS.md) authenticates that agent: database and workspace agree. */
const assertWorkspaceTokensAuthenticate = (simulator: GatewaySimulator, agentIds: ReadonlyArray<AgentId>) =>
  Effect.forEach(agentIds, (id) =>
    authenticateAgent(tokenIn(simulator.file(`mc-${id}`, "AGENTS.md"))).pipe(
      Effect.map((agent) => assert.strictEqual(agent.id, id))
    ), { discard: true })

describe("core over the gateway client, at the gateway's config.patch limit", () => {
  it.live("a create whose heartbeat patch must wait out the limit's window still succeeds, without the durable lifecycle", () =>
    // Deadline 2 s, window 3 s: the wait the gateway asks for is longer than the deadline, shorter than its grace.
    withSimulator(
      { reloadDelayMs: 0, configPatchLimit: { max: 1, windowMs: 3_000 } },
      (simulator) =>
        Effect.gen(function*() {
          const world = yield* worldOn(simulator)
          const first = yield* createAgent(Actor.user(world.owner), create(world.board.id, "First"))
          const second = yield* createAgent(Actor.user(world.owner), create(world.board.id, "Second"))
          assert.strictEqual(simulator.configPatchesRefused(), 1)
          assert.strictEqual(simulator.configPatches(), 2)
          yield* assertWorkspaceTokensAuthenticate(simulator, [first.id, second.id])
        })
    ).pipe(Effect.provideService(Settings, shortDeadlines(Settings.defaultValue()))))
})

describe("core over the gateway client", () => {
  for (const profile of ["2026.9", "2026.4"] as const) {
    it.live(`provisions, syncs and deletes on a ${profile} gateway`, () =>
      withSimulator({ profile, reloadDelayMs: profile === "2026.9" ? 300 : 0 }, (simulator) =>
        Effect.gen(function*() {
          const world = yield* worldOn(simulator)
          const lead = yield* ensureBoardLeadAgent(world.board, world.owner)
          const worker = yield* createAgent(Actor.user(world.owner), create(world.board.id, "Scout"))
          const workerKey = `mc-${worker.id}`
          const tokenFile = profile === "2026.9" ? "AGENTS.md" : "TOOLS.md"
          const token = tokenIn(simulator.file(workerKey, tokenFile))!
          assert.strictEqual((yield* authenticateAgent(token)).id, worker.id)
          assert.strictEqual(simulator.agents().size, 3)

          const result = yield* syncGatewayTemplates(world.gateway, { includeMain: false, rotateTokens: true })
          assert.deepStrictEqual(result.errors, [])
          assert.strictEqual(result.agentsUpdated, 2)
          assert.deepStrictEqual(result.unsupportedFiles, profile === "2026.9" ? ["HEARTBEAT.md", "TOOLS.md"] : [])
          assert.strictEqual((yield* authenticateAgent(tokenIn(simulator.file(workerKey, tokenFile))!)).id, worker.id)
          assert.strictEqual(simulator.configPatches(), 2) // one per provisioning, none for an unchanged sync

          yield* updateAgent(world.owner, worker.id, Schema.decodeUnknownSync(AgentUpdate)({ name: "Scout 2" }), {
            force: false
          })
          assert.strictEqual(simulator.agents().get(workerKey)!.name, "Scout 2")
          yield* deleteAgent(world.owner, worker.id)
          assert.isTrue(Option.isNone(yield* Effect.flatMap(AgentRepository, (repo) => repo.findById(worker.id))))
          assert.isFalse(simulator.agents().has(workerKey))
          assert.isTrue(simulator.agents().has(`lead-${world.board.id}`))
          void lead
          // One connection served it all.
          assert.strictEqual(simulator.connectionsOpened(), 1)
        })))
  }

  it.live("a gateway restarting after every config patch does not fail provisioning or sync", () =>
    withSimulator({ restartOnConfigPatch: true }, (simulator) =>
      Effect.gen(function*() {
        const world = yield* worldOn(simulator)
        yield* ensureBoardLeadAgent(world.board, world.owner)
        yield* createAgent(Actor.user(world.owner), create(world.board.id, "Phoenix"))
        const result = yield* syncGatewayTemplates(world.gateway, { includeMain: false })
        assert.deepStrictEqual(result.errors, [])
        assert.strictEqual(result.agentsUpdated, 2)
        assert.isAbove(simulator.connectionsOpened(), 1)
      })))

  it.live("sync under dropped connections and error replies reports per agent, and a second sync completes the job", () =>
    withSimulator({}, (simulator) =>
      Effect.gen(function*() {
        const world = yield* worldOn(simulator)
        const created = yield* createFour(world)
        simulator.configure({
          faults: [
            { method: "agents.files.get", kind: "drop", times: 2 },
            { method: "agents.update", kind: "error", message: "disk full", times: 1, agentId: `mc-${created[1]}` }
          ]
        })
        const first = yield* syncGatewayTemplates(world.gateway, { includeMain: false, rotateTokens: true })
        assert.strictEqual(first.agentsUpdated, 3)
        assert.deepStrictEqual(first.errors.map((error) => [error.agentId, error.message]), [[
          created[1]!,
          "Failed to sync templates: disk full"
        ]])
        const second = yield* syncGatewayTemplates(world.gateway, { includeMain: false })
        assert.deepStrictEqual([second.agentsUpdated, second.errors.length], [4, 0])
        yield* assertWorkspaceTokensAuthenticate(simulator, created)
      })))

  it.live("a gateway stalling past the deadline mid-sync: the sync stops there, no agent is left half-updated, and a second sync completes it", () =>
    withSimulator({}, (simulator) =>
      Effect.gen(function*() {
        const world = yield* worldOn(simulator)
        const created = yield* createFour(world)
        const agents = yield* AgentRepository
        const stored = (id: AgentId) => agents.findById(id).pipe(Effect.map(Option.getOrThrow))
        const before = yield* Effect.forEach(created, stored)
        simulator.configure({ faults: [{ method: "agents.files.get", kind: "stall", agentId: `mc-${created[1]}` }] })
        simulator.clearCalls()

        const first = yield* syncGatewayTemplates(world.gateway, {
          includeMain: false,
          rotateTokens: true,
          concurrency: 1
        })
        assert.strictEqual(first.agentsUpdated, 1)
        assert.deepStrictEqual(first.errors.map((error) => error.agentId), [created[1]!])
        assert.match(
          first.errors[0]!.message,
          /^Gateway unreachable after 2 seconds \(template sync timeout\)\. Last error: .*timed out/
        )
        // Nothing was started for the agents after the one that timed out.
        const touched = new Set(simulator.calls().map((call) => call.params["agentId"]))
        assert.isFalse(touched.has(`mc-${created[2]}`) || touched.has(`mc-${created[3]}`))
        // No record is left mid-update, no token was changed on one side only: every workspace token still
        // authenticates its agent.
        const after = yield* Effect.forEach(created, stored)
        assert.deepStrictEqual(
          after.map((agent) => [agent.status, agent.agentTokenDigest]),
          before.map((agent) => ["online", agent.agentTokenDigest])
        )
        yield* assertWorkspaceTokensAuthenticate(simulator, created)

        simulator.configure({ faults: [] })
        const second = yield* syncGatewayTemplates(world.gateway, { includeMain: false, rotateTokens: true })
        assert.deepStrictEqual([second.agentsUpdated, second.errors.length], [4, 0])
        yield* assertWorkspaceTokensAuthenticate(simulator, created)
      }).pipe(Effect.provideService(Settings, shortDeadlines(Settings.defaultValue()))), stallClient))

  it.live("a gateway stalling past the deadline mid-provisioning: a clean 504/502, the agent is not stuck, and reconciling finishes it with one gateway agent", () =>
    withSimulator({}, (simulator) =>
      Effect.gen(function*() {
        const world = yield* worldOn(simulator)
        const gatewayAgentsBefore = simulator.agents().size
        simulator.configure({ faults: [{ method: "agents.files.set", kind: "stall" }] })
        const error = yield* createAgent(Actor.user(world.owner), create(world.board.id, "Stalled")).pipe(Effect.flip)
        assert.include(["GatewayFailure", "GatewayTimeout"], error._tag)
        assert.match(
          error.detail,
          /^Gateway provision failed: Gateway unreachable after 2 seconds \(gateway coordination timeout\)/
        )
        const agents = yield* AgentRepository
        const stored = (yield* agents.listByBoards([world.board.id])).find((agent) => agent.name === "Stalled")!
        // Not stuck: still "provisioning" (it never came online), with the error recorded for the reconciler.
        assert.strictEqual(stored.status, "provisioning")
        assert.isNotNull(stored.lastProvisionError)

        simulator.configure({ faults: [] })
        yield* reconcilePendingProvisioning()
        const finished = Option.getOrThrow(yield* agents.findById(stored.id))
        assert.strictEqual(finished.status, "online")
        assert.isNull(finished.lastProvisionError)
        assert.deepStrictEqual([...simulator.agents().keys()].filter((id) => id === `mc-${stored.id}`), [
          `mc-${stored.id}`
        ])
        assert.strictEqual(simulator.agents().size, gatewayAgentsBefore + 1)
        yield* assertWorkspaceTokensAuthenticate(simulator, [stored.id])
      }).pipe(Effect.provideService(Settings, shortDeadlines(Settings.defaultValue()))), stallClient))
})
