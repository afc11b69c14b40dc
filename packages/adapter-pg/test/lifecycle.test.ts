// Durable provisioning across real processes: server processes (test/support/lifecycleWorker.ts) on a real Postgres,
// the gateway simulator over WebSocket, killed with SIGKILL at chosen points. After a restart, or on another process
// sharing the database, every agent converges once: no agent left pending, no duplicate gateway agent, each agent's
// workspace token the one the database accepts.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { layer, layerEmbedded, PgLifecycle } from "@mission-control/adapter-pg"
import { createDatabase, runStatement, serverReachable } from "@mission-control/adapter-pg/testing"
import { Actor, AgentCreate, authenticateAgent, createAgent } from "@mission-control/core"
import { Fixtures, TestKit } from "@mission-control/core/testing"
import * as GatewayRpc from "@mission-control/gateway-rpc"
import { startGatewaySimulator } from "@mission-control/gateway-rpc/testing"
import type { GatewaySimulator } from "@mission-control/gateway-rpc/testing"
import { Effect, Layer, ManagedRuntime, Redacted, Schema } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  allConverged as allBoardAgentsConverged,
  boardAgentRows,
  startWorker as startLifecycleWorker,
  until as waitUntil,
  workerEnv
} from "./support/lifecycleProcesses.js"

const reachable = await serverReachable()

const cleanups: Array<() => Promise<void> | void> = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

const startWorker = (env: Record<string, string>) => startLifecycleWorker(env, (kill) => cleanups.push(kill))
const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) =>
  waitUntil(what, check, timeoutMs, 50)

/**
 * A simulator on a port below Linux's ephemeral range (32768 up), which the sockets other test files open never
 * take: a test can stop it and start it again on that port.
 */
const startOnRestartablePort = async (behaviour: Parameters<typeof startGatewaySimulator>[0]) => {
  for (let attempt = 1;; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000)
    try {
      return await startGatewaySimulator(behaviour, { port })
    } catch (error) {
      if (attempt >= 10) throw error
    }
  }
}

/** A fresh database seeded with the fixture world, its gateway on a new simulator. */
const setUp = async (options: { readonly restartablePort?: boolean } = {}) => {
  const database = await createDatabase()
  cleanups.push(() => database.drop())
  const simulator: GatewaySimulator = options.restartablePort === true
    ? await startOnRestartablePort({ reloadDelayMs: 50 })
    : await startGatewaySimulator({ reloadDelayMs: 50 })
  cleanups.push(() => simulator.stop())
  const config = { url: Redacted.make(database.url), maxConnections: 4 }
  const runtime = ManagedRuntime.make(Layer.mergeAll(layer(config), TestKit.layerServices, GatewayRpc.layer()))
  cleanups.push(() => runtime.dispose())
  const world = await runtime.runPromise(Fixtures.world({
    gateway: { url: simulator.url, token: Redacted.make(simulator.token!), workspaceRoot: "/srv/openclaw" }
  }))
  const env = (mode: "create" | "resume" | "sync", runnerPort: number, agents = 0) =>
    workerEnv(database.url, world, mode, runnerPort, agents)
  const agentRows = () => boardAgentRows(database.url, world.board.id)
  const allConverged = (count: number) => allBoardAgentsConverged(database.url, world.board.id, count)
  /** The board agents whose workspace token the database does not authenticate (drifted tokens). */
  const rejectedTokens = async (gateway: GatewaySimulator = simulator) => {
    const rejected: Array<string> = []
    for (const row of await agentRows()) {
      const gatewayId = `mc-${row["id"]}`
      const token = ["TOOLS.md", "AGENTS.md"].flatMap((name) => {
        const match = /AUTH_TOKEN=(\S+)/.exec(gateway.file(gatewayId, name) ?? "")
        return match === null ? [] : [match[1]!]
      })[0]
      const agent = token === undefined
        ? undefined
        : await runtime.runPromise(authenticateAgent(token).pipe(Effect.option)).then((found) =>
          found._tag === "Some" ? found.value : undefined
        )
      if (agent?.id !== row["id"]) rejected.push(gatewayId)
    }
    return rejected
  }
  /** Every agent once on the gateway, online, and the token in its workspace the one the database authenticates. */
  const assertConverged = async (count: number, gateway: GatewaySimulator = simulator) => {
    const rows = await agentRows()
    assert.strictEqual(rows.length, count)
    const onGateway = gatewayAgents(gateway).sort()
    const expected = rows.map((row) => `mc-${row["id"]}`).sort()
    assert.deepStrictEqual(
      onGateway,
      expected,
      `on the gateway: ${onGateway.join(" ")}; in the database: ${expected.join(" ")}`
    )
    for (const row of rows) assert.strictEqual(row["status"], "online")
    assert.deepStrictEqual(await rejectedTokens(gateway), [])
  }
  return { config, database, simulator, world, env, agentRows, allConverged, assertConverged, rejectedTokens }
}

/** The board agents the simulator holds (not the gateway-main agent a template sync provisions). */
const gatewayAgents = (simulator: GatewaySimulator) =>
  [...simulator.agents().keys()].filter((id) => id.startsWith("mc-") && !id.startsWith("mc-gateway-"))

const callsOf = (simulator: GatewaySimulator, method: string) =>
  simulator.calls().filter((call) => call.method === method)

describe.skipIf(!reachable)("durable provisioning across processes", () => {
  it("a process killed between workspace file writes: restarted, it finishes every agent once", async () => {
    const { allConverged, assertConverged, env, simulator } = await setUp()
    // Every file write hangs: the process dies with agents created on the gateway and their files half written.
    simulator.configure({ faults: [{ method: "agents.files.set", kind: "stall" }] })
    const first = startWorker(env("create", 41_101, 5))
    await until("file writes of all five agents", () => {
      const agents = new Set(callsOf(simulator, "agents.files.set").map((call) => call.params["agentId"]))
      return agents.size === 5
    }, 60_000)
    await first.kill()
    // Its requests may have answered (pending); none of its agents is finished.
    assert.isFalse(await allConverged(5))
    simulator.configure({ faults: [] })

    const restarted = startWorker(env("resume", 41_101))
    const took = await until("all agents converged", () => allConverged(5), 60_000)
    console.log(`durable lifecycle: 5 agents converged ${took} ms after the restart (same runner address)`)
    await restarted.kill("SIGTERM")
    await assertConverged(5)
  }, 120_000)

  it(
    "two processes share the work: one killed right after agents.create, the other takes over and finishes its agents",
    async () => {
      const { allConverged, assertConverged, database, env, simulator } = await setUp()
      const survivor = startWorker(env("resume", 41_202))
      await until("the survivor to start", () => survivor.output.includes("ready"), 60_000)
      const victim = startWorker(env("resume", 41_201))
      // Both hold shards (each process's shard locks are advisory locks of its own session).
      await until("both processes to hold shards", async () => {
        const rows = await Effect.runPromise(runStatement(
          database.url,
          "SELECT count(DISTINCT pid)::int AS holders FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ))
        return rows[0]?.["holders"] === 2
      }, 60_000)
      // Restarted under the same address to create agents, the second process gets its shards back at once.
      await victim.kill()
      // The gateway holds its answers to agents.create: the agents exist there, their creator never hears so.
      simulator.configure({ answerDelayMs: 300 })
      const creator = startWorker(env("create", 41_201, 12))
      await until("all twelve agents created on the gateway", () => gatewayAgents(simulator).length >= 12, 60_000)
      const runners = new Set(callsOf(simulator, "agents.create").map((call) => call.connection))
      await creator.kill()
      simulator.configure({ answerDelayMs: 0 })
      // Twelve workflows over 64 shards split between two processes: both ran some.
      assert.strictEqual(runners.size, 2)
      const took = await until("all agents converged", () => allConverged(12), 60_000)
      console.log(`durable lifecycle: 12 agents converged ${took} ms after their process was killed (other process)`)
      await survivor.kill("SIGTERM")
      await assertConverged(12)
    },
    120_000
  )

  it(
    "the gateway stopped while 20 agents are created: each request answers pending, and all converge once it is back",
    async () => {
      const { allConverged, assertConverged, config, simulator, world } = await setUp({ restartablePort: true })
      const port = Number(new URL(simulator.url).port)
      const runtime = ManagedRuntime.make(Layer.provideMerge(
        PgLifecycle.layer(config, {
          runnerAddress: { host: "127.0.0.1", port: 41_301 },
          shardLockExpiration: "3 seconds"
        }),
        Layer.mergeAll(layer(config), TestKit.layerServices, GatewayRpc.layer())
      ))
      cleanups.push(() => runtime.dispose())
      await simulator.stop()

      const started = Date.now()
      const answered = await runtime.runPromise(Effect.forEach(
        Array.from({ length: 20 }, (_, index) => index),
        (index) =>
          createAgent(
            Actor.user(world.owner),
            Schema.decodeUnknownSync(AgentCreate)({ board_id: world.board.id, name: `Outage ${index}` })
          ),
        { concurrency: "unbounded" }
      ))
      const answeredIn = Date.now() - started
      console.log(`durable lifecycle: 20 creates answered pending ${answeredIn} ms after they were sent, gateway down`)
      for (const agent of answered) {
        assert.strictEqual(agent.status, "provisioning")
        assert.match(agent.lastProvisionError ?? "", /^Gateway provision pending: /)
      }

      const back = await startGatewaySimulator({ reloadDelayMs: 50, token: simulator.token }, { port })
      cleanups.push(() => back.stop())
      // No API call from here: the workflows try again on their own, at most `lifecycleRetryInterval` (5 s) apart.
      const took = await until("all agents converged", () => allConverged(20), 30_000)
      console.log(`durable lifecycle: 20 agents converged ${took} ms after the gateway came back`)
      await assertConverged(20, back)
    },
    120_000
  )

  it(
    "a process killed mid-sync, with token files written and their tokens not yet stored: on resume the sync runs again and every token authenticates",
    async () => {
      const { allConverged, assertConverged, env, rejectedTokens, simulator } = await setUp()
      const creator = startWorker(env("create", 41_401, 6))
      await until("six agents provisioned", () => allConverged(6), 60_000)
      await creator.kill()
      // The workspaces lost their tokens (an operator's edit, say): the sync re-keys them (`rotate_tokens`).
      for (const agentId of gatewayAgents(simulator)) {
        for (const name of ["TOOLS.md", "AGENTS.md"]) {
          const content = simulator.file(agentId, name)
          if (content !== undefined) simulator.putFile(agentId, name, content.replace(/^.*AUTH_TOKEN=.*$/gm, ""))
        }
      }
      // Writes take effect at once, their answers come late: a file holding a rotated token is on the gateway while
      // the sync has not heard of it, nor stored its digest.
      simulator.configure({ answerDelayMs: 400 })
      simulator.clearCalls()
      const syncing = startWorker(env("sync", 41_401))
      // A board agent's token file (the gateway-main agent is provisioned first, outside the sync).
      const boardAgentIds = new Set(gatewayAgents(simulator))
      await until(
        "a rotated token written to a board agent",
        () =>
          callsOf(simulator, "agents.files.set").some((call) =>
            boardAgentIds.has(String(call.params["agentId"])) &&
            String(call.params["content"] ?? "").includes("AUTH_TOKEN=")
          ),
        60_000
      )
      await syncing.kill()
      assert.notInclude(syncing.output, "done")
      simulator.configure({ answerDelayMs: 0 })
      // The point of the test: some workspace holds a token the database does not know.
      assert.isNotEmpty(await rejectedTokens())

      const resumed = startWorker(env("resume", 41_401))
      let problem = ""
      const took = await until("every workspace token to authenticate", async () => {
        try {
          await assertConverged(6)
          return true
        } catch (error) {
          problem = String(error)
          return false
        }
      }, 60_000).catch((error) => {
        throw new Error(`${error}; last: ${problem}; resumed process: ${resumed.errors().slice(-2000)}`)
      })
      console.log(`durable lifecycle: the interrupted sync converged ${took} ms after the restart`)
      await resumed.kill("SIGTERM")
      await assertConverged(6)
    },
    120_000
  )
})

describe("durable provisioning on the embedded database", () => {
  it(
    "one process killed between workspace file writes: restarted on the same data, it finishes every agent once",
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "mc-lifecycle-"))
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
      const simulator = await startGatewaySimulator({ reloadDelayMs: 50 })
      cleanups.push(() => simulator.stop())
      simulator.configure({ faults: [{ method: "agents.files.set", kind: "stall" }] })
      const embedded = { MC_EMBEDDED_DIR: dataDir, MC_RUNNER_PORT: "0" }
      const first = startWorker({
        ...embedded,
        MC_MODE: "seed",
        MC_GATEWAY_URL: simulator.url,
        MC_GATEWAY_TOKEN: simulator.token!,
        MC_AGENTS: "3"
      })
      await until("file writes of all three agents", () => {
        const agents = new Set(callsOf(simulator, "agents.files.set").map((call) => call.params["agentId"]))
        return agents.size === 3
      }, 90_000)
      await first.kill()
      simulator.configure({ faults: [] })
      const world = JSON.parse(first.output.find((line) => line.startsWith("world "))!.slice("world ".length)) as {
        readonly boardId: string
        readonly ownerId: string
      }

      const restarted = startWorker({
        ...embedded,
        MC_MODE: "resume",
        MC_BOARD_ID: world.boardId,
        MC_OWNER_ID: world.ownerId,
        MC_AGENTS: "0",
        MC_REPORT: "1"
      })
      const took = await until("all agents converged", () => restarted.output.includes("pending 0 of 3"), 90_000)
      console.log(`durable lifecycle (embedded): 3 agents converged ${took} ms after the restart`)
      await restarted.kill("SIGTERM")

      const runtime = ManagedRuntime.make(
        Layer.mergeAll(layerEmbedded({ dataDir }), TestKit.layerServices, GatewayRpc.layer())
      )
      try {
        const onGateway = gatewayAgents(simulator)
        assert.strictEqual(onGateway.length, 3)
        for (const gatewayId of onGateway) {
          const token = /AUTH_TOKEN=(\S+)/.exec(simulator.file(gatewayId, "AGENTS.md") ?? "")?.[1]
          const agent = await runtime.runPromise(authenticateAgent(token))
          assert.strictEqual(`mc-${agent.id}`, gatewayId)
          assert.isNull(agent.provisionAction)
        }
      } finally {
        await runtime.dispose()
      }
    },
    180_000
  )
})
