// The core's provisioning, template sync and deletion over the real client, against the simulator.
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema } from "effect"
import {
  Actor,
  AgentCreate,
  AgentUpdate,
  authenticateAgent,
  createAgent,
  deleteAgent,
  ensureBoardLeadAgent,
  syncGatewayTemplates,
  updateAgent
} from "@mission-control/core"
import type { AgentId } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import type { GatewaySimulator, SimulatorBehaviour } from "@mission-control/gateway-rpc/testing"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"

const running: Array<GatewaySimulator> = []
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop()
})

const withSimulator = <A, E>(
  behaviour: Partial<SimulatorBehaviour>,
  body: (simulator: GatewaySimulator) => Effect.Effect<A, E, Layer.Layer.Success<typeof TestKit.layerWithoutGateway> | import("@mission-control/core").GatewayControlPlane>
) =>
  Effect.gen(function*() {
    const simulator = yield* Effect.promise(() => startGatewaySimulator(behaviour))
    running.push(simulator)
    return yield* body(simulator).pipe(
      Effect.provide(Layer.merge(TestKit.layerWithoutGateway, GatewayRpc.layer({ device: GatewayRpc.generateDeviceIdentity() })))
    )
  })

const worldOn = (simulator: GatewaySimulator) =>
  Fixtures.world({ gateway: { url: simulator.url, token: Redacted.make(simulator.token!), workspaceRoot: "/srv/openclaw" } })

const create = (boardId: string, name: string) => Schema.decodeUnknownSync(AgentCreate)({ board_id: boardId, name })
const tokenIn = (content: string | undefined) => /^AUTH_TOKEN=(.*)$/m.exec(content ?? "")?.[1]

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
          assert.strictEqual(result.agents_updated, 2)
          assert.deepStrictEqual(result.unsupported_files, profile === "2026.9" ? ["HEARTBEAT.md", "TOOLS.md"] : [])
          assert.strictEqual((yield* authenticateAgent(tokenIn(simulator.file(workerKey, tokenFile))!)).id, worker.id)
          assert.strictEqual(simulator.configPatches(), 2) // one per provisioning, none for an unchanged sync

          yield* updateAgent(world.owner, worker.id as AgentId, Schema.decodeUnknownSync(AgentUpdate)({ name: "Scout 2" }), {
            force: false
          })
          assert.strictEqual(simulator.agents().get(workerKey)!.name, "Scout 2")
          assert.deepStrictEqual(yield* deleteAgent(world.owner, worker.id as AgentId), { ok: true })
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
        assert.strictEqual(result.agents_updated, 2)
        assert.isAbove(simulator.connectionsOpened(), 1)
      })))

  it.live("sync under dropped connections and error replies reports per agent, and a second sync completes the job", () =>
    withSimulator({}, (simulator) =>
      Effect.gen(function*() {
        const world = yield* worldOn(simulator)
        const created: Array<string> = []
        for (const name of ["A", "B", "C", "D"]) {
          created.push((yield* createAgent(Actor.user(world.owner), create(world.board.id, name))).id)
        }
        simulator.configure({
          faults: [
            { method: "agents.files.get", kind: "drop", times: 2 },
            { method: "agents.update", kind: "error", message: "disk full", times: 1, agentId: `mc-${created[1]}` }
          ]
        })
        const first = yield* syncGatewayTemplates(world.gateway, { includeMain: false, rotateTokens: true })
        assert.strictEqual(first.agents_updated, 3)
        assert.deepStrictEqual(first.errors.map((error) => [error.agent_id, error.message]), [[created[1]!, "Failed to sync templates: disk full"]])
        const second = yield* syncGatewayTemplates(world.gateway, { includeMain: false })
        assert.deepStrictEqual([second.agents_updated, second.errors.length], [4, 0])
        for (const id of created) {
          assert.strictEqual((yield* authenticateAgent(tokenIn(simulator.file(`mc-${id}`, "AGENTS.md"))!)).id, id)
        }
      })))
})
