// Durable provisioning against a real OpenClaw gateway (run by `pnpm test:interop`, which starts one): lifecycle
// worker processes (test/support/lifecycleWorker.ts) on a real Postgres, killed with SIGKILL at chosen points, then
// restarted in resume mode under the same runner address. The workers reach the gateway through a relay that can
// withhold answers, so a process dies exactly after the gateway did something and before it heard so; what the
// gateway then holds is read over a connection of our own.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { authenticateAgent } from "@mission-control/core"
import { Effect, Option } from "effect"
import type { RealWorld } from "./support/realWorld.js"
import { durableInteropRuns, gatewayVersion, planUntil, setUpWorld, tokenIn, until } from "./support/realWorld.js"

const agents = 5
const runnerPort = 42_101

let world: RealWorld | undefined
afterAll(() => world?.cleanup(), 120_000)

/** Each agent exactly once on the gateway, no other agent under the world's root, every token and file right. */
const assertConverged = async (current: RealWorld, options: { readonly withMain: boolean }) => {
  const rows = await current.agentRows()
  assert.strictEqual(rows.length, agents)
  for (const row of rows) assert.strictEqual(row["status"], "online", `agent ${row["id"]}`)
  const expected = [
    ...rows.map((row) => `mc-${row["id"]}`),
    ...(options.withMain ? [`mc-gateway-${current.world.gateway.id}`] : [])
  ].sort()
  const listed = (await current.worldAgents()).map((agent) => agent.id).sort()
  assert.deepStrictEqual(
    listed,
    expected,
    `on the gateway: ${listed.join(" ")}; in the database: ${expected.join(" ")}`
  )
  assert.deepStrictEqual(await current.rejectedTokens(), [])
  // The reconciler's comparison: every workspace file and heartbeat setting as provisioning writes them now.
  assert.deepStrictEqual(await planUntil(current, []), [])
}

describe.skipIf(!durableInteropRuns)(`durable lifecycle on a real OpenClaw gateway ${gatewayVersion}`, () => {
  it(
    "a process killed with agents.create done on the gateway and unanswered: restarted, each agent once, tokens right",
    async () => {
      world = await setUpWorld({ relay: true })
      const current = world
      const relay = current.relay!
      relay.withholdAnswers((request) => request.method === "agents.create")
      const first = current.startWorker(current.workerEnv("create", runnerPort, agents))
      await until(
        "the gateway to list all five new agents",
        async () => (await current.worldAgents()).length >= agents,
        90_000
      )
      await first.kill()
      // Its requests may have answered (pending: attempts take turns, four at a time); none of its agents is done.
      // An attempt cut off waiting may have sent its create again meanwhile: once on the gateway is checked below.
      assert.isAtLeast(relay.requests().filter((request) => request.method === "agents.create").length, agents)
      const rows = await current.agentRows()
      assert.strictEqual(rows.length, agents)
      assert.isTrue(rows.every((row) => row["provision_action"] === "provision"))
      relay.withholdAnswers(null)

      const restarted = current.startWorker(current.workerEnv("resume", runnerPort))
      const took = await until("all agents converged", () => current.allConverged(agents), 120_000).catch((error) => {
        throw new Error(`${error}; resumed process: ${restarted.errors().slice(-2000)}`)
      })
      console.log(`${gatewayVersion}: ${agents} agents converged ${took} ms after the restart (same runner address)`)
      await restarted.kill("SIGTERM")
      await assertConverged(current, { withMain: false })
    },
    180_000
  )

  it(
    "a process killed mid-sync with rotated tokens on the gateway and not yet stored: resumed, every token authenticates",
    async () => {
      const current = world
      const relay = current?.relay
      if (current === undefined || relay == null) return assert.fail("needs the world of the test before")
      const boardAgents = new Set((await current.agentRows()).map((row) => `mc-${row["id"]}`))
      // The workspaces lost their tokens (an operator's edit, say): the sync re-keys them (`rotate_tokens`).
      for (const agentId of boardAgents) {
        const file = await current.observe(current.observer.readFile(agentId, current.tokenFile))
        const content = Option.isSome(file) ? file.value.content : ""
        await current.observe(
          current.observer.writeFile(agentId, current.tokenFile, content.replace(/^.*AUTH_TOKEN=.*$/gm, ""))
        )
      }
      // A token file write reaches the gateway; its answer never comes back, so the sync never stores the token.
      relay.withholdAnswers((request) =>
        request.method === "agents.files.set" && boardAgents.has(String(request.params["agentId"])) &&
        String(request.params["content"] ?? "").includes("AUTH_TOKEN=")
      )
      const syncing = current.startWorker(current.workerEnv("sync", runnerPort))
      // The first board agent whose token file on the gateway carries a token again, and that token.
      const rekeyed = async () => {
        for (const agentId of boardAgents) {
          const file = await current.observe(current.observer.readFile(agentId, current.tokenFile))
          const token = tokenIn(Option.isSome(file) ? file.value.content : undefined)
          if (token !== undefined) return { agentId, token }
        }
        return undefined
      }
      await until("a re-keyed token file on the gateway", async () => (await rekeyed()) !== undefined, 90_000)
      await syncing.kill()
      assert.notInclude(syncing.output, "done")
      relay.withholdAnswers(null)
      // The point of the test: the gateway holds a rotated token the database does not know.
      const written = await rekeyed()
      assert.isDefined(written)
      const accepted = await current.runtime.runPromise(Effect.option(authenticateAgent(written!.token)))
      assert.isTrue(Option.isNone(accepted), `the rotated token of ${written!.agentId} was stored before the kill`)

      const resumed = current.startWorker(current.workerEnv("resume", runnerPort))
      const took = await until(
        "every workspace token to authenticate",
        async () =>
          (await current.allConverged(agents)) && (await current.workflowsFinished()) &&
          (await current.rejectedTokens()).length === 0,
        120_000
      ).catch((error) => {
        throw new Error(`${error}; resumed process: ${resumed.errors().slice(-2000)}`)
      })
      console.log(`${gatewayVersion}: the interrupted sync converged ${took} ms after the restart`)
      await resumed.kill("SIGTERM")
      await assertConverged(current, { withMain: true })
    },
    180_000
  )
})
